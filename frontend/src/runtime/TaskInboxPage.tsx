/**
 * The task inbox (to do / done / CC) with the count of each box. Opening a task shows its flow instance — the
 * record as the viewer may see it, the state and the history — and, for a waiting task, the actions with a
 * comment: approve, reject, return, transfer, add signer, comment.
 */
import { useMemo, useState } from 'react';
import {
  App as AntApp, Badge, Button, Card, Descriptions, Drawer, Empty, Grid, Input, InputNumber, List, Segmented, Skeleton,
  Space, Tabs, Typography,
} from 'antd';
import { useSearchParams } from 'react-router-dom';
import { api, runtimeApi, type AppDefinition, type Task, type TaskActionName, type TaskBox } from '../api';
import { ApiErrorAlert, errorMessage } from '../components/ApiErrorAlert';
import { PageHeader } from '../components/PageHeader';
import { useI18n } from '../i18n';
import { useAsync } from '../useAsync';
import { fieldLabel, fieldsOf, LAYOUT_TYPES, renderValue } from './fields';
import { FlowHistory, StatusTag, localTime, nodeNames } from './FlowHistory';
import './runtime.css';

const BOXES: TaskBox[] = ['todo', 'done', 'cc'];

interface FlowDef {
  key: string;
  name?: string;
  nodes?: { id: string; name?: string }[];
}

/** Flow and step names of the apps the tasks belong to (tasks name them by key). */
function useNames(tasks: Task[]) {
  const keys = useMemo(() => Array.from(new Set(tasks.map((task) => task.app))).sort(), [tasks]);
  const apps = useAsync(async (signal) => {
    const found = await Promise.all(keys.map((k) => api.getApp(k, signal).catch(() => null)));
    return found.filter((a): a is AppDefinition => a !== null);
  }, [keys.join(',')]);
  return (task: Task) => {
    const app = apps.data?.find((a) => a.key === task.app);
    const flow = ((app?.flows as FlowDef[] | undefined) ?? []).find((f) => f.key === task.flow);
    return {
      app,
      flow: flow?.name ?? task.flow,
      node: flow?.nodes?.find((n) => n.id === task.node)?.name ?? task.node,
    };
  };
}

export function TaskInboxPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const box = (BOXES.includes(params.get('box') as TaskBox) ? params.get('box') : 'todo') as TaskBox;
  const openId = Number(params.get('task') ?? '') || null;
  const list = useAsync((signal) => runtimeApi.tasks(box, signal), [box]);
  const tasks = list.data?.items ?? [];
  const names = useNames(tasks);
  const counts = list.data?.counts;
  const opened = tasks.find((task) => task.id === openId);
  const set = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) if (v === null) next.delete(k); else next.set(k, v);
    setParams(next);
  };

  return (
    <div className="page" data-testid="task-inbox">
      <PageHeader title={t('rt.inbox.title')} />
      <Card className="section-card">
        <Tabs
          activeKey={box}
          onChange={(key) => set({ box: key, task: null })}
          items={BOXES.map((b) => ({
            key: b,
            label: (
              <span data-testid={`box-${b}`}>
                {t(`rt.inbox.${b}`)}{' '}
                <Badge count={counts?.[b] ?? 0} showZero={false} color={b === 'todo' ? 'red' : 'blue'} />
              </span>
            ),
          }))}
        />
        {list.error ? <ApiErrorAlert error={list.error} /> : null}
        <List
          data-testid="task-list"
          loading={list.loading}
          dataSource={tasks}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.inbox.empty')} /> }}
          renderItem={(task) => {
            const named = names(task);
            return (
              <List.Item className="rt-task" onClick={() => set({ task: String(task.id) })} data-testid="task-item"
                extra={<StatusTag status={task.status} />}>
                <List.Item.Meta
                  title={<a>{named.flow} · {named.node}</a>}
                  description={
                    <Space wrap size={[12, 0]}>
                      {named.app ? <span>{named.app.name}</span> : null}
                      {task.record_id ? <span>#{task.record_id}</span> : null}
                      <span>{localTime(task.created_at)}</span>
                      {task.due_at ? <span>{t('rt.inbox.due', { time: localTime(task.due_at) })}</span> : null}
                    </Space>
                  }
                />
              </List.Item>
            );
          }}
        />
      </Card>
      {openId ? (
        <TaskDrawer
          taskId={openId}
          task={opened}
          app={opened ? names(opened).app : undefined}
          onClose={() => set({ task: null })}
          onDone={() => { set({ task: null }); list.reload(); }}
        />
      ) : null}
    </div>
  );
}

const ACTIONS: { action: TaskActionName; danger?: boolean; primary?: boolean }[] = [
  { action: 'approve', primary: true }, { action: 'reject', danger: true }, { action: 'return' },
  { action: 'transfer' }, { action: 'add_signer' }, { action: 'comment' },
];

function TaskDrawer({ taskId, task, app, onClose, onDone }: {
  taskId: number; task?: Task; app?: AppDefinition; onClose: () => void; onDone: () => void;
}) {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const screens = Grid.useBreakpoint();
  const [comment, setComment] = useState('');
  const [action, setAction] = useState<TaskActionName>('approve');
  const [who, setWho] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const instance = useAsync(
    (signal) => (task ? runtimeApi.flowInstance(task.instance, signal) : Promise.resolve(undefined)),
    [task?.instance],
  );
  const form = app?.forms.find((f) => f.key === instance.data?.form);
  const record = instance.data?.record;
  const waiting = task?.status === 'pending' && task.kind !== 'cc';
  const needsUser = action === 'transfer' || action === 'add_signer';

  const act = async () => {
    if (!task) return;
    setBusy(true);
    try {
      await runtimeApi.taskAction(task.id, {
        action,
        comment: comment || undefined,
        ...(action === 'return' ? { to: 'start' } : {}),
        ...(action === 'transfer' ? { to: who ?? undefined } : {}),
        ...(action === 'add_signer' && who ? { users: [who] } : {}),
      });
      message.success(t('rt.inbox.done'));
      if (action === 'comment') instance.reload(); else onDone();
    } catch (err) {
      message.error(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Drawer open onClose={onClose} size={screens.md === false ? '100%' : 720} data-testid="task-drawer"
      title={instance.data?.name ?? (task ? task.flow : `#${taskId}`)}>
      {!task && !instance.loading ? <Empty description={t('rt.inbox.notFound')} /> : null}
      {instance.error ? <ApiErrorAlert error={instance.error} /> : null}
      {task && !instance.data && !instance.error ? <Skeleton active /> : null}
      {instance.data ? (
        <Space direction="vertical" size={16} className="rt-task-body">
          {waiting ? (
            <Card size="small" title={t('rt.inbox.act')} data-testid="task-actions">
              <Space direction="vertical" className="rt-task-body">
                <Segmented<TaskActionName>
                  block={screens.md === false}
                  value={action}
                  onChange={setAction}
                  options={ACTIONS.map((a) => ({ value: a.action, label: t(`rt.action.${a.action}`) }))}
                />
                {needsUser ? (
                  <InputNumber<number> min={1} value={who} onChange={setWho} placeholder={t('rt.inbox.userId')}
                    style={{ width: 200 }} />
                ) : null}
                <Input.TextArea value={comment} onChange={(e) => setComment(e.target.value)} rows={3}
                  placeholder={t('rt.inbox.comment')} data-testid="task-comment" maxLength={2000} />
                <Button type="primary" danger={action === 'reject'} loading={busy} onClick={act}
                  disabled={needsUser && !who} data-testid="task-submit">
                  {t(`rt.action.${action}`)}
                </Button>
              </Space>
            </Card>
          ) : null}
          {record ? (
            <Card size="small" title={form?.name ?? t('rt.inbox.record')}>
              <Descriptions size="small" bordered column={1} styles={{ label: { width: 128 } }} items={fieldsOf(form)
                .filter((f) => f.key in record && !LAYOUT_TYPES.has(f.type))
                .map((f) => ({ key: f.key, label: fieldLabel(f), children: renderValue(f, record[f.key], lang) }))} />
            </Card>
          ) : null}
          <Card size="small" title={t('rt.inbox.history')}>
            <FlowHistory instance={instance.data} nodes={nodeNames(app?.flows, instance.data.flow)} />
          </Card>
          {task?.comment ? <Typography.Text type="secondary">{task.comment}</Typography.Text> : null}
        </Space>
      ) : null}
    </Drawer>
  );
}
