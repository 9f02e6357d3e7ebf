/** The inputs the property panels are made of: a row with its problems, expressions, people, durations, mappings. */
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Form, Input, InputNumber, Select, Space } from 'antd';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { runtimeApi, type Person } from '../../api';
import { FormulaEditor } from '../form/FormulaEditor';
import type { FieldDef, FormDef, Problem } from '../types';
import { useFlowContext } from './context';
import { DURATION_UNITS, formatDuration, parseSimpleDuration, type DurationUnit } from './duration';
import { assigneeKind, fieldLabel, memberFields, specList, type AssigneeKind, type AssigneeSpec } from './model';
import { useFlowText } from './text';
import { clauseSeparator } from '../text';

const MONO = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' };

/** The problems at `path` or under it. */
export function problemsAt(problems: Problem[], path: string): Problem[] {
  return problems.filter((p) => p.path === path || p.path.startsWith(`${path}/`));
}

/** A labelled input that shows the server's problems for its place in the node. */
export function Row({ label, problems = [], path, children, extra }: {
  label: ReactNode; problems?: Problem[]; path?: string; children: ReactNode; extra?: ReactNode;
}) {
  const mine = path ? problemsAt(problems, path) : [];
  return (
    <Form.Item
      label={label}
      extra={extra}
      validateStatus={mine.length ? 'error' : undefined}
      help={mine.length ? mine.map((p) => p.message).join(clauseSeparator()) : undefined}
      style={{ marginBottom: 12 }}
    >
      {children}
    </Form.Item>
  );
}

/**
 * An expression of the app's language; clearing it removes the key. With a trigger form and no flow variables it
 * is the form designer's FormulaEditor (completion, a live check against the working copy); variables are not
 * fields of the form, so a flow with variables gets a plain input and the workspace's check instead.
 */
export function ExprInput({ value, onChange, placeholder, testId, expect }: {
  value: string | undefined; onChange: (next: string | undefined) => void; placeholder?: string; testId?: string;
  expect?: 'bool' | 'number' | 'text' | 'date' | 'datetime';
}) {
  const { appKey, app, flow, triggerForm } = useFlowContext();
  const set = (text: string) => onChange(text === '' ? undefined : text);
  if (triggerForm && !(flow.variables ?? []).length) {
    return <FormulaEditor appKey={appKey} app={app} form={triggerForm.key} value={value ?? ''} onChange={set}
      expect={expect} placeholder={placeholder ?? 'amount > 1000'} testId={testId} />;
  }
  return (
    <Input
      value={value ?? ''}
      onChange={(e) => set(e.target.value)}
      placeholder={placeholder ?? 'amount > 1000'}
      allowClear
      spellCheck={false}
      style={MONO}
      data-testid={testId && `${testId}-input`}
    />
  );
}

export function ProblemList({ problems, title }: { problems: Problem[]; title?: string }) {
  if (!problems.length) return null;
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginBottom: 12 }}
      title={title}
      description={
        <ul style={{ margin: 0, paddingInlineStart: 18 }} data-testid="flow-problem-list">
          {problems.map((p, i) => (
            <li key={i}>
              {p.path !== '/' ? <code style={{ marginInlineEnd: 6 }}>{p.path}</code> : null}
              {p.message}
            </li>
          ))}
        </ul>
      }
    />
  );
}

/** Fields of `form` as options, `key` as value. */
export function FieldSelect({ form, value, onChange, multiple, filter, placeholder, testId, allowClear = true }: {
  form: FormDef | undefined; value: string | string[] | undefined; onChange: (next: any) => void; multiple?: boolean;
  filter?: (field: FieldDef) => boolean; placeholder?: string; testId?: string; allowClear?: boolean;
}) {
  const options = (form?.fields ?? []).filter(filter ?? (() => true)).map((f) => ({ value: f.key, label: fieldLabel(f) }));
  return (
    <Select
      mode={multiple ? 'multiple' : undefined}
      value={value}
      onChange={onChange}
      options={options}
      allowClear={allowClear}
      showSearch={{ optionFilterProp: 'label' }}
      placeholder={placeholder}
      data-testid={testId}
      style={{ width: '100%' }}
    />
  );
}

/** Search the people directory; shows the picked ids as names once found. */
function PeopleSelect({ value, onChange, testId }: { value: number[]; onChange: (ids: number[]) => void; testId?: string }) {
  const t = useFlowText();
  const [found, setFound] = useState<Person[]>([]);
  const known = useRef(new Map<number, string>());
  const [query, setQuery] = useState('');
  useEffect(() => {
    const controller = new AbortController();
    runtimeApi.people(query, controller.signal).then((page) => {
      for (const person of page.items) known.current.set(person.id, `${person.name} (${person.username})`);
      setFound(page.items);
    }).catch(() => undefined);
    return () => controller.abort();
  }, [query]);
  const options = useMemo(() => {
    const ids = new Set([...found.map((p) => p.id), ...value]);
    return [...ids].map((id) => ({ value: id, label: known.current.get(id) ?? t('assignee.userN', { id }) }));
  }, [found, value, t]);
  return (
    <Select
      mode="multiple"
      value={value}
      onChange={onChange}
      options={options}
      showSearch={{ filterOption: false, onSearch: setQuery }}
      placeholder={t('assignee.pickUser')}
      data-testid={testId}
      style={{ width: '100%' }}
    />
  );
}

/** A new spec of each kind, naming what the app offers first. */
function blankSpec(kind: AssigneeKind, roles: { key: string }[], fields: { key: string }[]): AssigneeSpec {
  const byKind: Record<AssigneeKind, () => AssigneeSpec> = {
    role: () => ({ role: roles[0]?.key ?? '' }),
    department_head: () => ({ department_head: { levels: 1 } }),
    manager: () => ({ manager: { levels: 1 } }),
    field: () => ({ field: fields[0]?.key ?? 'created_by' }),
    initiator: () => ({ initiator: true }),
    user: () => ({ users: [] }),
    users: () => ({ users: [] }),
  };
  return byKind[kind]();
}

/** One spec: how (role, manager, field …) and whom. */
function AssigneeRow({ spec, onChange, testId }: { spec: AssigneeSpec; onChange: (next: AssigneeSpec) => void; testId?: string }) {
  const t = useFlowText();
  const { app, triggerForm } = useFlowContext();
  const roles = (app.roles ?? []).map((role) => ({ key: role.key, name: role.name ?? role.key }));
  const fields = memberFields(triggerForm);
  const kind = assigneeKind(spec);
  const kinds: AssigneeKind[] = ['role', 'department_head', 'manager', 'field', 'initiator', ...(kind === 'user' ? ['user' as const] : []), 'users'];
  const valueEditors: Record<AssigneeKind, () => ReactNode> = {
    role: () => (
      <Select
        value={spec.role || undefined}
        onChange={(role: string) => onChange({ role })}
        options={roles.map((role) => ({ value: role.key, label: role.name }))}
        placeholder={t('assignee.pickRole')}
        data-testid={testId && `${testId}-role`}
        style={{ minWidth: 140 }}
      />
    ),
    department_head: () => (
      <InputNumber min={1} max={10} value={spec.department_head?.levels ?? 1} prefix={t('assignee.levelsLabel')}
        onChange={(levels) => onChange({ department_head: { levels: Number(levels) || 1 } })} />
    ),
    manager: () => (
      <InputNumber min={1} max={10} value={spec.manager?.levels ?? 1} prefix={t('assignee.levelsLabel')}
        onChange={(levels) => onChange({ manager: { levels: Number(levels) || 1 } })} />
    ),
    field: () => (
      <Select
        value={spec.field}
        onChange={(field: string) => onChange({ field })}
        options={fields.map((f) => ({ value: f.key, label: f.label === f.key ? f.key : `${f.label} (${f.key})` }))}
        placeholder={t('assignee.pickField')}
        style={{ minWidth: 140 }}
      />
    ),
    initiator: () => null,
    user: () => <PeopleSelect value={spec.user ? [spec.user] : []} onChange={(users) => onChange(users.length === 1 ? { user: users[0] } : { users })} />,
    users: () => <PeopleSelect value={spec.users ?? []} onChange={(users) => onChange({ users })} testId={testId && `${testId}-users`} />,
  };
  return (
    <>
      <Select
        value={kind}
        onChange={(next: AssigneeKind) => onChange(blankSpec(next, roles, fields))}
        options={kinds.map((k) => ({ value: k, label: t(`assignee.${k}`) }))}
        style={{ width: 120, flex: 'none' }}
        data-testid={testId && `${testId}-kind`}
      />
      <div style={{ flex: 1, minWidth: 0 }}>{kind ? valueEditors[kind]() : null}</div>
    </>
  );
}

/** A list of assignee specs (assignees, cc, notify.to, fallback …); written as a list, cleared as undefined. */
export function AssigneesEditor({ value, onChange, testId, optional }: {
  value: unknown; onChange: (next: AssigneeSpec[] | undefined) => void; testId?: string; optional?: boolean;
}) {
  const t = useFlowText();
  const { app, triggerForm } = useFlowContext();
  const specs = specList(value);
  const set = (next: AssigneeSpec[]) => onChange(next.length || !optional ? next : undefined);
  const add = () => {
    const roles = app.roles ?? [];
    set([...specs, roles.length ? { role: roles[0].key } : blankSpec('field', [], memberFields(triggerForm))]);
  };
  return (
    <div data-testid={testId}>
      {specs.map((spec, i) => (
        <div key={i} style={{ display: 'flex', gap: 6, marginBottom: 6, alignItems: 'center' }}>
          <AssigneeRow spec={spec} onChange={(next) => set(specs.map((s, j) => (j === i ? next : s)))} testId={testId && `${testId}-${i}`} />
          <Button size="small" type="text" icon={<DeleteOutlined />} aria-label={t('common.delete')}
            onClick={() => set(specs.filter((_, j) => j !== i))} />
        </div>
      ))}
      <Button size="small" icon={<PlusOutlined />} onClick={add} data-testid={testId && `${testId}-add`}>{t('assignee.add')}</Button>
    </div>
  );
}

/** An ISO 8601 duration built from a number and a unit; one that is not a single unit stays editable as text. */
export function DurationInput({ value, onChange, testId }: { value: string | undefined; onChange: (next: string) => void; testId?: string }) {
  const t = useFlowText();
  const simple = parseSimpleDuration(value);
  const [raw, setRaw] = useState(!simple && !!value);
  if (raw) {
    return (
      <Space.Compact data-testid={testId}>
        <Input value={value} onChange={(e) => onChange(e.target.value)} placeholder="P1DT2H" style={MONO} aria-label={t('duration.raw')} />
        <Button onClick={() => { setRaw(false); onChange('P1D'); }}>{t('unit.D')}</Button>
      </Space.Compact>
    );
  }
  const current = simple ?? { amount: 1, unit: 'D' as DurationUnit };
  return (
    <Space.Compact data-testid={testId}>
      <InputNumber min={0} value={simple ? current.amount : undefined} style={{ width: 90 }}
        onChange={(amount) => onChange(formatDuration({ ...current, amount: Number(amount) || 0 }))}
        data-testid={testId && `${testId}-amount`} />
      <Select value={current.unit} style={{ width: 90 }}
        onChange={(unit: DurationUnit) => onChange(formatDuration({ ...current, unit }))}
        options={DURATION_UNITS.map((unit) => ({ value: unit, label: t(`unit.${unit}`) }))} />
    </Space.Compact>
  );
}

/** `{key: expression}` as rows (set, values, inputs, headers): a key picked from options (or typed) and a value. */
export function MappingRows({ value, onChange, keyOptions, problems = [], path, testId, valueIsText }: {
  value: Record<string, string> | undefined; onChange: (next: Record<string, string>) => void;
  keyOptions?: { value: string; label: string }[]; problems?: Problem[]; path: string; testId?: string; valueIsText?: boolean;
}) {
  const t = useFlowText();
  const entries = Object.entries(value ?? {});
  const write = (next: [string, string][]) => onChange(Object.fromEntries(next));
  const unused = (keyOptions ?? []).filter((o) => !entries.some(([k]) => k === o.value));
  return (
    <div data-testid={testId}>
      {entries.map(([key, expr], i) => {
        const mine = problemsAt(problems, `${path}/${key}`);
        return (
          <div key={i} style={{ marginBottom: 6 }}>
            <div style={{ display: 'flex', gap: 6 }}>
              {keyOptions ? (
                <Select value={key || undefined} style={{ width: 150, flex: 'none' }} placeholder={t('rows.field')}
                  showSearch={{ optionFilterProp: 'label' }}
                  options={[...keyOptions.filter((o) => o.value === key), ...unused]}
                  onChange={(k: string) => write(entries.map((e, j) => (j === i ? [k, e[1]] : e)))}
                  data-testid={testId && `${testId}-${i}-key`} />
              ) : (
                <Input value={key} style={{ width: 150, flex: 'none' }} placeholder={t('rows.key')}
                  onChange={(e) => write(entries.map((en, j) => (j === i ? [e.target.value, en[1]] : en)))} />
              )}
              <Input value={expr} placeholder={valueIsText ? t('rows.value') : t('rows.expr')} spellCheck={false}
                style={valueIsText ? undefined : MONO} status={mine.length ? 'error' : undefined}
                onChange={(e) => write(entries.map((en, j) => (j === i ? [en[0], e.target.value] : en)))}
                data-testid={testId && `${testId}-${i}-value`} />
              <Button type="text" icon={<DeleteOutlined />} aria-label={t('common.delete')}
                onClick={() => write(entries.filter((_, j) => j !== i))} />
            </div>
            {mine.length ? <div style={{ color: 'var(--ant-color-error, #ff4d4f)', fontSize: 12 }}>{mine.map((p) => p.message).join(clauseSeparator())}</div> : null}
          </div>
        );
      })}
      <Button size="small" icon={<PlusOutlined />} data-testid={testId && `${testId}-add`}
        disabled={!!keyOptions && unused.length === 0}
        onClick={() => write([...entries, [keyOptions ? unused[0].value : '', '']])}>
        {t('rows.add')}
      </Button>
    </div>
  );
}
