/** The workspace's dialogs: a new item, publishing with its list of changes, and the version history. */
import { Alert, Button, Drawer, Empty, Form, Input, List, Modal, Popconfirm, Space, Table, Tag, Typography, message } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { formatTime } from '../pages/AppsPage';
import { useAsync } from '../useAsync';
import { builderApi, type VersionInfo } from './api';
import { diffApps, type ChangeKind } from './diff';
import { suggestKey } from './places';
import { useText } from './text';
import type { AppDraft, Item, Problem, SectionKey } from './types';
import { WORKSPACE_TEXT } from './workspaceText';

const KEY_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
const CHANGE_COLOURS: Record<ChangeKind, string> = { added: 'green', removed: 'red', changed: 'blue' };

export function AddItemDialog({
  app,
  section,
  onClose,
  onAdd,
}: {
  app: AppDraft;
  section: SectionKey | null;
  onClose: () => void;
  onAdd: (section: SectionKey, key: string, name: string) => void;
}) {
  const t = useText(WORKSPACE_TEXT);
  const [form] = Form.useForm<{ name: string; key: string }>();
  const [keyTouched, setKeyTouched] = useState(false);
  useEffect(() => {
    if (section) {
      form.resetFields();
      setKeyTouched(false);
    }
  }, [section, form]);
  if (!section) return null;
  const taken = new Set(((app[section] as Item[] | undefined) ?? []).map((it) => it.key));
  const sectionName = t(`section.${section}`);
  return (
    <Modal
      open
      title={t('add.title', { section: sectionName })}
      onCancel={onClose}
      okButtonProps={{ 'data-testid': 'builder-new-ok' } as Record<string, string>}
      onOk={() => form.validateFields().then((v) => onAdd(section, v.key, v.name.trim()))}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        onValuesChange={(changed: { name?: string }) => {
          if (changed.name !== undefined && !keyTouched) form.setFieldValue('key', suggestKey(app, section, changed.name));
        }}
      >
        <Form.Item name="name" label={t('add.name')} rules={[{ required: true, whitespace: true, message: t('add.nameRequired') }]}>
          <Input autoFocus data-testid="builder-new-name" maxLength={100} />
        </Form.Item>
        <Form.Item
          name="key"
          label={t('add.key')}
          extra={t('add.keyHelp')}
          initialValue={suggestKey(app, section, '')}
          rules={[
            { pattern: KEY_PATTERN, message: t('add.keyPattern') },
            { validator: (_, v: string) => (taken.has(v) ? Promise.reject(new Error(t('add.keyTaken'))) : Promise.resolve()) },
          ]}
        >
          <Input data-testid="builder-new-key" onChange={() => setKeyTouched(true)} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export function PublishDialog({
  open,
  app,
  published,
  problems,
  onClose,
  onPublish,
}: {
  open: boolean;
  app: AppDraft;
  published: AppDraft | null;
  problems: Problem[];
  onClose: () => void;
  onPublish: () => Promise<void>;
}) {
  const t = useText(WORKSPACE_TEXT);
  const [busy, setBusy] = useState(false);
  const changes = useMemo(() => (open ? diffApps(published, app) : []), [open, published, app]);
  const removes = changes.some((c) => c.kind === 'removed' || c.fields.some((f) => f.kind === 'removed'));
  return (
    <Modal
      open={open}
      title={t('publish.title', { name: app.name })}
      onCancel={onClose}
      width={640}
      footer={
        <Space>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
          <Button
            type="primary"
            data-testid="builder-publish-confirm"
            disabled={problems.length > 0}
            loading={busy}
            onClick={() => {
              setBusy(true);
              onPublish().finally(() => setBusy(false));
            }}
          >
            {t('publish.confirm')}
          </Button>
        </Space>
      }
    >
      {problems.length > 0 ? (
        <Alert type="error" showIcon title={t('publish.blocked', { count: problems.length })} style={{ marginBottom: 12 }} />
      ) : null}
      <Typography.Text strong>{changes.length ? t('publish.changes') : t('publish.none')}</Typography.Text>
      <List
        size="small"
        data-testid="builder-publish-changes"
        dataSource={changes}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('publish.none')} /> }}
        renderItem={(change) => (
          <List.Item>
            <Space orientation="vertical" size={2}>
              <Space>
                <Tag color={CHANGE_COLOURS[change.kind]}>{t(`change.${change.kind}`)}</Tag>
                <Typography.Text type="secondary">
                  {change.section === 'settings' ? t('change.settings') : t(`section.${change.section}`)}
                </Typography.Text>
                <Typography.Text strong>{change.section === 'settings' ? change.key : change.name}</Typography.Text>
              </Space>
              {change.fields.length ? (
                <Space wrap size={4}>
                  {change.fields.map((f) => (
                    <Tag key={f.key} color={CHANGE_COLOURS[f.kind]} variant="outlined">
                      {t(`change.${f.kind}`)} {f.label}
                      {f.retyped ? ` · ${t('change.retyped', { from: f.retyped[0], to: f.retyped[1] })}` : ''}
                    </Tag>
                  ))}
                </Space>
              ) : null}
            </Space>
          </List.Item>
        )}
      />
      {removes ? <Alert type="info" showIcon title={t('publish.removedNote')} /> : null}
    </Modal>
  );
}

export function VersionsDrawer({
  appKey,
  open,
  current,
  onClose,
  onRolledBack,
}: {
  appKey: string;
  open: boolean;
  current: number | undefined;
  onClose: () => void;
  onRolledBack: () => void;
}) {
  const t = useText(WORKSPACE_TEXT);
  const versions = useAsync((signal) => (open ? builderApi.versions(appKey, signal) : Promise.resolve([])), [appKey, open]);
  const rollback = async (version: number) => {
    const answer = await builderApi.rollback(appKey, version);
    message.success(t('versions.rolledBack', { version: answer.version }));
    versions.reload();
    onRolledBack();
  };
  return (
    <Drawer open={open} onClose={onClose} title={t('versions.title')} size="large" data-testid="builder-versions-drawer">
      <Table<VersionInfo>
        size="small"
        rowKey="version"
        loading={versions.loading}
        dataSource={versions.data ?? []}
        pagination={false}
        columns={[
          {
            title: t('versions.version'),
            dataIndex: 'version',
            render: (v: number) => (
              <Space>
                <Tag>v{v}</Tag>
                {v === current ? <Tag color="green">{t('versions.current')}</Tag> : null}
              </Space>
            ),
          },
          { title: t('versions.note'), dataIndex: 'note' },
          { title: t('versions.at'), dataIndex: 'published_at', render: (v: string) => formatTime(v) },
          {
            key: 'actions',
            render: (_, row) =>
              row.version === current ? null : (
                <Popconfirm title={t('versions.rollbackConfirm', { version: row.version })} onConfirm={() => rollback(row.version)}>
                  <Button size="small" data-testid={`builder-rollback-${row.version}`}>
                    {t('versions.rollback')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
    </Drawer>
  );
}
