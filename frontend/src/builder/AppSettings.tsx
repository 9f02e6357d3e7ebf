/** The app's own settings: name, description and the running app's side menu. */
import { Button, Card, Form, Input, Select, Space, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useText } from './text';
import type { AppDraft, Item, Problem } from './types';
import { WORKSPACE_TEXT } from './workspaceText';

interface Menu {
  label: string;
  form?: string;
  dashboard?: string;
  children?: Menu[];
  [property: string]: unknown;
}

function problemAt(problems: Problem[], path: string): string | undefined {
  return problems.find((p) => p.path === path || p.path.startsWith(`${path}/`))?.message;
}

/** One level of the menu (a group's entries are drawn indented below it). */
function MenuRows({
  menus,
  path,
  problems,
  targets,
  onChange,
}: {
  menus: Menu[];
  path: string;
  problems: Problem[];
  targets: { value: string; label: string }[];
  onChange: (next: Menu[]) => void;
}) {
  const t = useText(WORKSPACE_TEXT);
  const move = (i: number, by: number) => {
    const next = [...menus];
    const [entry] = next.splice(i, 1);
    next.splice(i + by, 0, entry);
    onChange(next);
  };
  const set = (i: number, entry: Menu) => onChange(menus.map((m, j) => (j === i ? entry : m)));
  return (
    <>
      {menus.map((menu, i) => {
        const problem = problemAt(problems, `${path}/${i}/label`) ?? problemAt(problems, `${path}/${i}/form`) ?? problemAt(problems, `${path}/${i}/dashboard`);
        const children = menu.children ?? [];
        const target = menu.form ? `form:${menu.form}` : menu.dashboard ? `dashboard:${menu.dashboard}` : undefined;
        return (
          <div key={i} className="builder__menu-entry" data-testid={`builder-menu${path.replace(/\//g, '-')}-${i}`}>
            <div className="builder__menu-row">
              <Input
                value={menu.label}
                placeholder={t('settings.menuLabel')}
                status={problem ? 'error' : undefined}
                onChange={(e) => set(i, { ...menu, label: e.target.value })}
              />
              {children.length ? (
                <Typography.Text type="secondary">{t('settings.group', { count: children.length })}</Typography.Text>
              ) : (
                <Select
                  value={target}
                  placeholder={t('settings.menuTarget')}
                  options={targets}
                  style={{ minWidth: 220 }}
                  onChange={(value: string) => {
                    const [kind, key] = value.split(':');
                    const { form: _f, dashboard: _d, ...rest } = menu;
                    set(i, { ...rest, [kind]: key });
                  }}
                />
              )}
              <Button icon={<ArrowUpOutlined />} disabled={i === 0} onClick={() => move(i, -1)} />
              <Button icon={<ArrowDownOutlined />} disabled={i === menus.length - 1} onClick={() => move(i, 1)} />
              <Button danger icon={<DeleteOutlined />} onClick={() => onChange(menus.filter((_, j) => j !== i))} />
              {problem ? <Typography.Text type="danger">{problem}</Typography.Text> : null}
            </div>
            {children.length ? (
              <div className="builder__menu-children">
                <MenuRows
                  menus={children}
                  path={`${path}/${i}/children`}
                  problems={problems}
                  targets={targets}
                  onChange={(next) => set(i, { ...menu, children: next })}
                />
              </div>
            ) : null}
          </div>
        );
      })}
    </>
  );
}

export function AppSettings({ app, problems, onChange }: { app: AppDraft; problems: Problem[]; onChange: (next: AppDraft) => void }) {
  const t = useText(WORKSPACE_TEXT);
  const menus = (app.menus as Menu[] | undefined) ?? [];
  const targets = [
    ...app.forms.map((f) => ({ value: `form:${f.key}`, label: `${t('section.forms')} · ${f.name}` })),
    ...((app.dashboards as Item[] | undefined) ?? []).map((d) => ({ value: `dashboard:${d.key}`, label: `${t('section.dashboards')} · ${d.name ?? d.key}` })),
  ];
  const setMenus = (next: Menu[]) => onChange({ ...app, menus: next });
  const nameProblem = problemAt(problems, '/name');
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }} data-testid="builder-app-settings">
      <Card title={t('section.settings')}>
        <Form layout="vertical">
          <Form.Item label={t('settings.name')} validateStatus={nameProblem ? 'error' : undefined} help={nameProblem}>
            <Input value={app.name} maxLength={100} onChange={(e) => onChange({ ...app, name: e.target.value })} data-testid="builder-app-name" />
          </Form.Item>
          <Form.Item label={t('settings.description')}>
            <Input.TextArea
              value={app.description ?? ''}
              autoSize={{ minRows: 2, maxRows: 6 }}
              onChange={(e) => onChange({ ...app, description: e.target.value || undefined })}
            />
          </Form.Item>
        </Form>
      </Card>
      <Card title={t('settings.menus')} extra={<Typography.Text type="secondary">{t('settings.menusHelp')}</Typography.Text>}>
        <Space orientation="vertical" style={{ width: '100%' }}>
          <MenuRows menus={menus} path="/menus" problems={problems} targets={targets} onChange={setMenus} />
          <Button
            icon={<PlusOutlined />}
            onClick={() => setMenus([...menus, app.forms[0] ? { label: app.forms[0].name, form: app.forms[0].key } : { label: app.name }])}
          >
            {t('settings.addMenu')}
          </Button>
        </Space>
      </Card>
    </Space>
  );
}
