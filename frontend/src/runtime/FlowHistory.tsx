/** A flow instance's state and history (who did what at which step, with their comments), for the record page
 * and the task inbox. */
import { Descriptions, Tag, Timeline, Typography } from 'antd';
import type { FlowInstance } from '../api';
import { useI18n, type MessageKey, type Translate } from '../i18n';

const STATUS_COLOURS: Record<string, string> = {
  running: 'processing', completed: 'success', approved: 'success', rejected: 'error', failed: 'error',
  cancelled: 'default', withdrawn: 'default', pending: 'processing',
};

/** A message for a key the server names (a status, an action), or the server's word when there is none. */
export function known(t: Translate, key: string, fallback: string): string {
  const text = t(key as MessageKey);
  return text === key ? fallback : text;
}

export function StatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return <Tag color={STATUS_COLOURS[status] ?? 'default'}>{known(t, `rt.status.${status}`, status)}</Tag>;
}


/** Local wall time of a UTC moment ("…Z") as "YYYY-MM-DD HH:mm". */
export function localTime(at: string | null | undefined): string {
  if (!at) return '';
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

interface FlowDef {
  key: string;
  nodes?: { id: string; name?: string }[];
}

/** Step names by node id, from the app's flow definitions (the instance names only the steps with tasks). */
export function nodeNames(flows: unknown, flow: string): Record<string, string> {
  const found = ((flows as FlowDef[] | undefined) ?? []).find((f) => f.key === flow);
  return Object.fromEntries((found?.nodes ?? []).filter((n) => n.name).map((n) => [n.id, n.name as string]));
}

export function FlowHistory({ instance, nodes = {} }: { instance: FlowInstance; nodes?: Record<string, string> }) {
  const { t } = useI18n();
  const names = new Map<string, string | null>(Object.entries(nodes));
  for (const task of instance.tasks) if (task.node_name) names.set(task.node, task.node_name);
  return (
    <div data-testid="flow-history">
      <Descriptions size="small" column={{ xs: 1, sm: 2 }} items={[
        { key: 'flow', label: t('rt.flow.name'), children: instance.name },
        { key: 'status', label: t('rt.flow.status'), children: <StatusTag status={instance.status} /> },
        { key: 'started', label: t('rt.flow.started'), children: localTime(instance.started_at) },
        { key: 'current', label: t('rt.flow.current'),
          children: instance.current.map((n) => names.get(n) || n).join(t('common.listSeparator')) || '—' },
      ]} />
      <Timeline
        className="rt-timeline"
        items={instance.history.map((h) => ({
          key: h.seq,
          content: (
            <div>
              <Typography.Text strong>{h.node ? names.get(h.node) || h.node : instance.name}</Typography.Text>{' '}
              <Tag>{known(t, `rt.history.${h.action}`, h.action)}</Tag>
              <Typography.Text type="secondary">{localTime(h.at)}</Typography.Text>
              {typeof h.detail?.comment === 'string' && h.detail.comment ? (
                <Typography.Paragraph className="rt-comment">{h.detail.comment}</Typography.Paragraph>
              ) : null}
            </div>
          ),
        }))}
      />
    </div>
  );
}
