/**
 * A role: its name, a matrix of forms × operations, each form's row scope, and per-field access (editable,
 * read-only, hidden) in an expandable row. Writes `permissions` as APP_FORMAT.md's ROLE expects.
 */
import { Checkbox, Empty, Input, Radio, Select, Space, Table, Tabs, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { JsonDesigner } from '../JsonDesigner';
import { useText } from '../text';
import type { DesignerProps, FormDef, Item, Problem } from '../types';
import {
  accessFields, extraCount, fieldModeOf, isNamedScope, MODES, OPS, primaryIndex, primaryOf, rowsOf, SCOPES, setAllOps,
  setFieldMode, setOp, setOpForAll, setRows, type Mode, type Permission,
} from './permissions';
import { ROLE_TEXT } from './text';

export interface RoleItem extends Item {
  name: string;
  description?: string;
  permissions: Permission[];
}

type T = ReturnType<typeof useText<keyof (typeof ROLE_TEXT)['zh-CN']>>;

const MONO = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' };

function Problems({ problems }: { problems: Problem[] }) {
  if (!problems.length) return null;
  return (
    <div role="alert">
      {problems.map((p, i) => <Typography.Text key={i} type="danger" style={{ display: 'block', fontSize: 12 }}>{p.message}</Typography.Text>)}
    </div>
  );
}

/** The problems of the form's permission entry (paths "/permissions/{i}/…"). */
function problemsOf(problems: Problem[], index: number, under = ''): Problem[] {
  if (index < 0) return [];
  const prefix = `/permissions/${index}${under}`;
  return problems.filter((p) => p.path === prefix || p.path.startsWith(`${prefix}/`));
}

function RowScope({ form, permissions, onChange, problems, t }: {
  form: string; permissions: Permission[]; onChange: (next: Permission[]) => void; problems: Problem[]; t: T;
}) {
  const permission = primaryOf(permissions, form);
  const rows = rowsOf(permission);
  const custom = !isNamedScope(rows);
  return (
    <Space orientation="vertical" size={4} style={{ width: '100%' }}>
      <Select data-testid={`role-rows-${form}`} size="small" style={{ width: 170 }} disabled={!permission}
        placeholder={t('rows.needOps')} value={permission ? (custom ? 'custom' : rows) : undefined}
        options={[...SCOPES.map((s) => ({ value: s, label: t(`rows.${s}`) })), { value: 'custom', label: t('rows.custom') }]}
        onChange={(next: string) => onChange(setRows(permissions, form, next === 'custom' ? 'owner = CURRENT_USER()' : next))} />
      {permission && custom ? (
        <Input data-testid={`role-rows-${form}-expr`} size="small" style={MONO} value={rows} title={t('rows.customHelp')}
          placeholder={t('rows.customHelp')} status={problems.length ? 'error' : undefined}
          onChange={(e) => onChange(setRows(permissions, form, e.target.value))} />
      ) : null}
      <Problems problems={problems} />
    </Space>
  );
}

function FieldAccess({ form, permissions, onChange, problems, t }: {
  form: FormDef; permissions: Permission[]; onChange: (next: Permission[]) => void; problems: Problem[]; t: T;
}) {
  const permission = primaryOf(permissions, form.key);
  if (!permission) return <Typography.Text type="secondary">{t('rows.needOps')}</Typography.Text>;
  return (
    <div data-testid={`role-fields-${form.key}`}>
      <Table size="small" pagination={false} rowKey="path" showHeader={false} dataSource={accessFields(form)}
        columns={[
          { key: 'label', render: (_, f) => <span style={{ paddingLeft: f.depth * 20 }}>{f.label} <Typography.Text type="secondary">{f.path}</Typography.Text></span> },
          {
            key: 'mode', width: 260, render: (_, f) => (
              <Radio.Group data-testid={`role-field-${form.key}-${f.path}`} size="small" optionType="button"
                value={fieldModeOf(permission, f.path)}
                options={MODES.map((m) => ({ value: m, label: t(`mode.${m}`) }))}
                onChange={(e) => onChange(setFieldMode(permissions, form.key, f.path, e.target.value as Mode))} />
            ),
          },
        ]} />
      <Problems problems={problems} />
    </div>
  );
}

function Matrix({ forms, permissions, onChange, problems, t }: {
  forms: FormDef[]; permissions: Permission[]; onChange: (next: Permission[]) => void; problems: Problem[]; t: T;
}) {
  const keys = forms.map((f) => f.key);
  const granted = (form: string, op: string) => primaryOf(permissions, form)?.ops.includes(op as never) ?? false;
  const columns: ColumnsType<FormDef> = [
    {
      key: 'form', title: t('form'), fixed: 'left', render: (_, form) => {
        const extra = extraCount(permissions, form.key);
        return (
          <div>
            <Typography.Text strong>{form.name}</Typography.Text> <Typography.Text type="secondary">{form.key}</Typography.Text>
            {extra ? <Typography.Text type="warning" style={{ display: 'block', fontSize: 12 }}>{t('extra', { count: extra })}</Typography.Text> : null}
            <Problems problems={problemsOf(problems, primaryIndex(permissions, form.key), '/ops')} />
          </div>
        );
      },
    },
    {
      key: 'all', title: t('all'), width: 52, align: 'center', render: (_, form) => {
        const count = OPS.filter((op) => granted(form.key, op)).length;
        return (
          <Checkbox data-testid={`role-perm-${form.key}-all`} checked={count === OPS.length} indeterminate={count > 0 && count < OPS.length}
            onChange={(e) => onChange(setAllOps(permissions, form.key, e.target.checked))} />
        );
      },
    },
    ...OPS.map((op) => {
      const count = keys.filter((k) => granted(k, op)).length;
      return {
        key: op, width: 60, align: 'center' as const,
        title: (
          <Space orientation="vertical" size={0} align="center">
            <span>{t(`op.${op}`)}</span>
            <Checkbox data-testid={`role-op-${op}-all`} checked={keys.length > 0 && count === keys.length}
              indeterminate={count > 0 && count < keys.length} onChange={(e) => onChange(setOpForAll(permissions, keys, op, e.target.checked))} />
          </Space>
        ),
        render: (_: unknown, form: FormDef) => (
          <Checkbox data-testid={`role-perm-${form.key}-${op}`} aria-label={`${form.name} ${t(`op.${op}`)}`} checked={granted(form.key, op)}
            onChange={(e) => onChange(setOp(permissions, form.key, op, e.target.checked))} />
        ),
      };
    }),
    {
      key: 'rows', title: t('rows'), width: 200, render: (_, form) => (
        <RowScope form={form.key} permissions={permissions} onChange={onChange} t={t}
          problems={problemsOf(problems, primaryIndex(permissions, form.key), '/rows')} />
      ),
    },
    {
      key: 'fields', title: t('fields'), width: 150, render: (_, form) => {
        const modes = Object.values(primaryOf(permissions, form.key)?.fields ?? {});
        const hidden = modes.filter((m) => m === 'hidden').length;
        const readonly = modes.filter((m) => m === 'readonly').length;
        return <Typography.Text type="secondary">{hidden || readonly ? t('fields.summary', { hidden, readonly }) : t('fields.none')}</Typography.Text>;
      },
    },
  ];
  return (
    <Table<FormDef> data-testid="role-matrix" size="small" rowKey="key" pagination={false} dataSource={forms} columns={columns}
      scroll={{ x: 'max-content' }}
      expandable={{
        expandedRowRender: (form) => (
          <FieldAccess form={form} permissions={permissions} onChange={onChange} t={t}
            problems={problemsOf(problems, primaryIndex(permissions, form.key), '/fields')} />
        ),
      }} />
  );
}

function RoleForm({ app, value, onChange, problems }: DesignerProps<RoleItem>) {
  const t = useText(ROLE_TEXT);
  const permissions = value.permissions ?? [];
  const setPermissions = (next: Permission[]) => onChange({ ...value, permissions: next });
  // problems the matrix does not show in place: the role's own, and those of entries it does not draw
  const drawn = new Set(app.forms.map((f) => primaryIndex(permissions, f.key)).filter((i) => i >= 0));
  const elsewhere = problems.filter((p) => {
    const match = /^\/permissions\/(\d+)(\/(ops|rows|fields)(\/|$))?/.exec(p.path);
    if (!match) return !p.path.startsWith('/name') && !p.path.startsWith('/description');
    return !(drawn.has(Number(match[1])) && match[2]);
  });
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={12} data-testid="role-designer">
      <Space wrap align="start" size={24}>
        {/* the name is edited in the workspace's header; its problems show here */}
        <Problems problems={problems.filter((p) => p.path === '/name')} />
        <div>
          <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>{t('description')}</Typography.Text>
          <Input style={{ width: 360 }} value={value.description ?? ''} onChange={(e) => {
            const { description: _old, ...rest } = value;
            onChange(e.target.value ? { ...rest, description: e.target.value } : (rest as RoleItem));
          }} />
        </div>
      </Space>
      {app.forms.length === 0 ? <Empty description={t('noForms')} /> : (
        <Matrix forms={app.forms} permissions={permissions} onChange={setPermissions} problems={problems} t={t} />
      )}
      {elsewhere.length ? (
        <div>
          <Typography.Text type="secondary">{t('problems')}</Typography.Text>
          <Problems problems={elsewhere} />
        </div>
      ) : null}
    </Space>
  );
}

export function RoleDesigner(props: DesignerProps<RoleItem>) {
  const t = useText(ROLE_TEXT);
  return (
    <Tabs key={props.value.key} items={[
      { key: 'design', label: t('tab.design'), children: <RoleForm {...props} /> },
      { key: 'json', label: t('tab.json'), children: <JsonDesigner {...props} /> },
    ]} />
  );
}
