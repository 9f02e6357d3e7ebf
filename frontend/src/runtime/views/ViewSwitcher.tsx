/**
 * The view switcher above a form's records: all records, the app's views, the person's saved views; "save
 * current as view" (the view on screen with the search, sort and filter in use, under a new name) and deleting
 * one's own saved view.
 */
import { useState } from 'react';
import { App as AntApp, Button, Dropdown, Form, Input, Modal, Segmented, Tooltip } from 'antd';
import {
  AppstoreOutlined, BarsOutlined, CalendarOutlined, DeleteOutlined, MoreOutlined, PartitionOutlined,
  ProjectOutlined, SaveOutlined, TableOutlined, UnorderedListOutlined, UserOutlined,
} from '@ant-design/icons';
import { runtimeApi, type ViewItem } from '../../api';
import { errorMessage } from '../../components/ApiErrorAlert';
import { useI18n } from '../../i18n';

const ICONS: Record<string, React.ReactNode> = {
  table: <TableOutlined />, kanban: <ProjectOutlined />, calendar: <CalendarOutlined />,
  gallery: <AppstoreOutlined />, gantt: <BarsOutlined />, tree: <PartitionOutlined />,
};
export const ALL = '';

export interface SwitcherProps {
  app: string;
  form: string;
  views: ViewItem[];
  current: ViewItem | undefined;
  /** What "save current" stores: the view on screen with the query in use. */
  snapshot: () => Omit<ViewItem, 'id' | 'saved' | 'key' | 'name'>;
  onSelect: (key: string) => void;
  onSaved: (view: ViewItem | null) => void;
}

export function ViewSwitcher({ app, form, views, current, snapshot, onSelect, onSaved }: SwitcherProps) {
  const { t } = useI18n();
  const { message, modal } = AntApp.useApp();
  const [saving, setSaving] = useState(false);
  const [open, setOpen] = useState(false);
  const [name] = Form.useForm<{ name: string }>();

  const options = [
    { value: ALL, label: <span data-testid="view-option-all"><UnorderedListOutlined /> {t('rt.view.all')}</span> },
    ...views.map((v) => ({
      value: v.key,
      disabled: !!v.problem,
      label: (
        <Tooltip title={v.problem}>
          <span data-testid={`view-option-${v.key}`}>
            {ICONS[v.type] ?? <TableOutlined />} {v.name}{v.saved ? <UserOutlined className="rt-views__mine" /> : null}
          </span>
        </Tooltip>
      ),
    })),
  ];

  const save = async () => {
    const { name: text } = await name.validateFields();
    setSaving(true);
    try {
      const saved = await runtimeApi.saveView(app, form, { ...snapshot(), name: text.trim() });
      message.success(t('rt.view.saved', { name: saved.name }));
      setOpen(false);
      name.resetFields();
      onSaved(saved);
    } catch (err) {
      message.error(errorMessage(err, t));
    } finally {
      setSaving(false);
    }
  };

  const remove = () => {
    if (!current?.saved || current.id === null) return;
    modal.confirm({
      title: t('rt.view.deleteConfirm', { name: current.name }),
      okButtonProps: { danger: true },
      onOk: async () => {
        try {
          await runtimeApi.deleteView(app, form, current.id as number);
          onSaved(null);
        } catch (err) {
          message.error(errorMessage(err, t));
        }
      },
    });
  };

  return (
    <div className="rt-views" data-testid="view-switcher">
      <Segmented className="rt-views__tabs" value={current?.key ?? ALL} options={options}
        onChange={(value) => onSelect(String(value))} />
      <Dropdown
        trigger={['click']}
        menu={{
          items: [
            { key: 'save', icon: <SaveOutlined />, label: t('rt.view.saveCurrent'), onClick: () => setOpen(true) },
            ...(current?.saved ? [{ key: 'delete', danger: true, icon: <DeleteOutlined />,
              label: t('rt.view.delete'), onClick: remove }] : []),
          ],
        }}
      >
        <Button icon={<MoreOutlined />} aria-label={t('rt.view.more')} data-testid="view-menu" />
      </Dropdown>
      <Modal open={open} title={t('rt.view.saveCurrent')} onOk={save} confirmLoading={saving}
        onCancel={() => setOpen(false)} destroyOnHidden okButtonProps={{ id: 'view-save-ok' }}>
        <Form form={name} layout="vertical" preserve={false}>
          <Form.Item name="name" label={t('rt.view.name')}
            rules={[{ required: true, whitespace: true, message: t('rt.view.nameRequired') }, { max: 100 }]}>
            <Input autoFocus maxLength={100} data-testid="view-name" />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
