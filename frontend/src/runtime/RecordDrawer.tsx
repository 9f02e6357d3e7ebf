/**
 * One record in a drawer (full screen on a phone): its fields, edit, delete, print, the app's manual flows on
 * this form as buttons, a tab per form whose records point at it (a customer's orders, follow-ups…), comments,
 * the audit trail and the flow instances that ran on it. With no record id: a new record.
 */
import { useState } from 'react';
import {
  App as AntApp, Button, Collapse, Descriptions, Drawer, Empty, Grid, Popconfirm, Skeleton, Space, Tabs, Timeline,
  Typography,
} from 'antd';
import { DeleteOutlined, EditOutlined, PlayCircleOutlined, PrinterOutlined } from '@ant-design/icons';
import { runtimeApi, type FormDefinition, type RecordData } from '../api';
import { ApiErrorAlert, errorMessage } from '../components/ApiErrorAlert';
import { useI18n } from '../i18n';
import { useAsync } from '../useAsync';
import { useFormAccess, type FormAccess } from './access';
import { useRuntime } from './context';
import {
  fieldLabel, fieldsOf, LAYOUT_TYPES, recordTitle, renderValue, shownAs, valueText, wallTime,
} from './fields';
import { FlowHistory, StatusTag, known, localTime, nodeNames } from './FlowHistory';
import { RecordComments } from './RecordComments';
import { RecordForm } from './RecordForm';
import { orderRelated, RelatedList, relatedTabLabel } from './RelatedRecords';

interface FlowDef {
  key: string;
  name?: string;
  trigger?: { type?: string; form?: string };
}

export interface RecordDrawerProps {
  form: FormDefinition;
  recordId: number | null;
  onClose: () => void;
  /** After a save (the record) or a delete (null). */
  onChanged: (record: RecordData | null) => void;
}

export function RecordDrawer({ form, recordId, onClose, onChanged }: RecordDrawerProps) {
  const { app, me } = useRuntime();
  const access = useFormAccess(app, me, form.key);
  const { t } = useI18n();
  const screens = Grid.useBreakpoint();
  const narrow = screens.md === false;
  const [editing, setEditing] = useState(false);
  const loaded = useAsync(
    (signal) => (recordId === null
      ? Promise.resolve(undefined) : runtimeApi.getRecord(app.key, form.key, recordId, signal)),
    [app.key, form.key, recordId],
  );
  const record = loaded.data;
  const { lang } = useI18n();
  const title = recordId === null
    ? t('rt.record.new', { form: form.name })
    : record ? recordTitle(form, record, lang) : '';

  return (
    <Drawer
      open
      onClose={onClose}
      size={narrow ? '100%' : 760}
      title={<span data-testid="record-title">{title}</span>}
      destroyOnHidden
      data-testid="record-drawer"
    >
      {recordId === null ? (
        <RecordForm form={form} onSaved={(saved) => onChanged(saved)} onCancel={onClose} />
      ) : loaded.error ? (
        <ApiErrorAlert error={loaded.error} />
      ) : !record ? (
        <Skeleton active />
      ) : editing ? (
        <RecordForm form={form} record={record} onCancel={() => setEditing(false)}
          onSaved={(saved) => { setEditing(false); loaded.reload(); onChanged(saved); }} />
      ) : (
        <RecordView form={form} record={record} onEdit={() => setEditing(true)} onChanged={onChanged}
          access={access} />
      )}
    </Drawer>
  );
}

function RecordView({ form, record, onEdit, onChanged, access }: {
  form: FormDefinition;
  record: RecordData;
  onEdit: () => void;
  onChanged: (record: RecordData | null) => void;
  access: FormAccess;
}) {
  const { app } = useRuntime();
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const narrow = Grid.useBreakpoint().md === false;
  const [running, setRunning] = useState<string | null>(null);
  const flows = ((app.flows as FlowDef[] | undefined) ?? []).filter((f) => f.trigger?.form === form.key);
  const manual = flows.filter((f) => f.trigger?.type === 'manual');
  const fields = fieldsOf(form).filter((f) => f.key in record && !LAYOUT_TYPES.has(f.type))
    .map((f) => shownAs(f, form, app.forms));
  const name = recordTitle(form, record, lang);
  // no related tabs when the server cannot tell (an older server, a network error): the record still shows
  const related = useAsync((signal) => runtimeApi.related(app.key, form.key, record.id, signal).then((r) => r.items)
    .catch((err: unknown) => {
      if (signal.aborted) throw err;
      return [];
    }), [app.key, form.key, record.id, record.version]);
  const groups = related.data ?? [];

  const remove = async () => {
    try {
      await runtimeApi.deleteRecord(app.key, form.key, record.id);
      message.success(t('rt.list.deleted', { count: 1 }));
      onChanged(null);
    } catch (err) {
      message.error(errorMessage(err, t));
    }
  };
  const trigger = async (flow: FlowDef) => {
    setRunning(flow.key);
    try {
      await runtimeApi.triggerFlow(app.key, form.key, record.id, flow.key);
      message.success(t('rt.record.triggered', { flow: flow.name ?? flow.key }));
    } catch (err) {
      message.error(errorMessage(err, t));
    } finally {
      setRunning(null);
    }
  };
  const print = async () => {
    try {
      await runtimeApi.printRecord(app.key, form.key, record.id, name);
    } catch (err) {
      message.error(errorMessage(err, t));
    }
  };

  return (
    <div data-testid="record-view">
      <Space wrap className="rt-record-actions">
        {access.can('update') ? (
          <Button type="primary" icon={<EditOutlined />} onClick={onEdit} data-testid="record-edit">
            {t('rt.record.edit')}
          </Button>
        ) : null}
        {manual.map((flow) => (
          <Button key={flow.key} icon={<PlayCircleOutlined />} loading={running === flow.key}
            onClick={() => trigger(flow)}
            data-testid={`trigger-${flow.key}`}>
            {flow.name ?? flow.key}
          </Button>
        ))}
        <Button icon={<PrinterOutlined />} onClick={print} data-testid="record-print">{t('rt.record.print')}</Button>
        {access.can('delete') ? (
          <Popconfirm title={t('rt.record.deleteConfirm')} onConfirm={remove}>
            <Button danger icon={<DeleteOutlined />} data-testid="record-delete">{t('rt.record.delete')}</Button>
          </Popconfirm>
        ) : null}
      </Space>
      <Tabs
        items={[
          {
            key: 'fields',
            label: t('rt.record.fields'),
            children: (
              <Descriptions bordered size="small" column={1} data-testid="record-fields" className="rt-fields"
                layout={narrow ? 'vertical' : 'horizontal'} styles={{ label: { width: 128 } }}
                items={fields.map((f) => ({
                  key: f.key, label: fieldLabel(f), children: renderValue(f, record[f.key], lang),
                }))} />
            ),
          },
          {
            key: 'comments', label: t('rt.comments.tab'),
            children: <RecordComments app={app.key} form={form.key} recordId={record.id} />,
          },
          { key: 'audit', label: t('rt.record.audit'), children: <AuditTrail form={form} record={record} /> },
          ...(flows.length ? [{
            key: 'flows', label: t('rt.record.flows'), children: <RecordFlows flows={flows} record={record} />,
          }] : []),
          // the record's own tabs stay in sight; the related forms follow, those with records first
          ...orderRelated(groups).map((group) => ({
            key: `related-${group.form}-${group.field}`,
            label: relatedTabLabel(group, groups),
            children: <RelatedList app={app} group={group} recordId={record.id} />,
          })),
        ]}
      />
      <Typography.Text type="secondary" className="rt-record-meta">
        {t('rt.record.meta', { id: record.id, version: record.version,
          updated: typeof record.updated_at === 'string' ? wallTime(record.updated_at) : '' })}
      </Typography.Text>
    </div>
  );
}

function AuditTrail({ form, record }: { form: FormDefinition; record: RecordData }) {
  const { app } = useRuntime();
  const { t, lang } = useI18n();
  const audit = useAsync((signal) => runtimeApi.recordAudit(app.key, form.key, record.id, signal),
    [app.key, form.key, record.id, record.version]);
  if (audit.error) return <ApiErrorAlert error={audit.error} />;
  if (!audit.data) return <Skeleton active />;
  const byKey = new Map(fieldsOf(form).map((f) => [f.key, f]));
  return (
    <Timeline
      data-testid="audit-trail"
      items={audit.data.items.map((entry) => {
        const changes = (entry.detail?.changes ?? {}) as Record<string, unknown>;
        return {
          key: entry.id,
          content: (
            <div>
              <Typography.Text strong>{known(t, `rt.audit.${entry.action}`, entry.action)}</Typography.Text>{' '}
              <Typography.Text type="secondary">
                {entry.user?.name ?? t('rt.audit.system')} · {wallTime(entry.at)}
              </Typography.Text>
              {Object.entries(changes).map(([key, change]) => {
                const field = byKey.get(key);
                const [before, after] = Array.isArray(change) ? change : [undefined, change];
                const show = (v: unknown) => (field ? valueText(field, v, lang) : JSON.stringify(v)) || '—';
                return (
                  <div key={key} className="rt-audit-change">
                    {field ? fieldLabel(field) : key}: {show(before)} → {show(after)}
                  </div>
                );
              })}
            </div>
          ),
        };
      })}
    />
  );
}

function RecordFlows({ flows, record }: { flows: FlowDef[]; record: RecordData }) {
  const { app } = useRuntime();
  const { t } = useI18n();
  const found = useAsync(async (signal) => {
    const pages = await Promise.all(flows.map((f) => runtimeApi.flowInstances(app.key, f.key, signal)));
    return pages.flatMap((p) => p.items).filter((i) => i.record_id === record.id);
  }, [app.key, record.id, record.version, flows.length]);
  if (found.error) return <ApiErrorAlert error={found.error} />;
  if (!found.data) return <Skeleton active />;
  if (!found.data.length) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.record.noFlows')} />;
  return (
    <Collapse
      data-testid="record-flows"
      items={found.data.map((instance) => ({
        key: instance.id,
        label: (
          <Space>
            {flows.find((f) => f.key === instance.flow)?.name ?? instance.flow}
            <StatusTag status={instance.status} />
            <Typography.Text type="secondary">{localTime(instance.started_at)}</Typography.Text>
          </Space>
        ),
        children: <InstanceHistory id={instance.id} />,
      }))}
    />
  );
}

function InstanceHistory({ id }: { id: number }) {
  const { app } = useRuntime();
  const loaded = useAsync((signal) => runtimeApi.flowInstance(id, signal), [id]);
  if (loaded.error) return <ApiErrorAlert error={loaded.error} />;
  if (!loaded.data) return <Skeleton active />;
  return <FlowHistory instance={loaded.data} nodes={nodeNames(app.flows, loaded.data.flow)} />;
}
