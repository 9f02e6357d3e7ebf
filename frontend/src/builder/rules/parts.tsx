/** Small pieces the rule designer's editors share: a labelled property with its problems, and recipient lists. */
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, InputNumber, Select, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import type { AppDraft, FieldDef, Problem } from '../types';
import type { RuleT } from './text';
import { named } from '../text';

/** The problems at `path` or under it ("/then/0" holds "/then/0/tag"). */
export function problemsAt(problems: Problem[], path: string): Problem[] {
  return problems.filter((p) => p.path === path || p.path.startsWith(`${path}/`));
}

export function ProblemText({ problems, testId }: { problems: Problem[]; testId?: string }) {
  if (problems.length === 0) return null;
  return (
    <div data-testid={testId} role="alert">
      {problems.map((p, i) => (
        <Typography.Text key={i} type="danger" style={{ display: 'block', fontSize: 12 }}>{p.message}</Typography.Text>
      ))}
    </div>
  );
}

interface PropProps {
  label: string;
  /** This property's problems (already picked for its path). */
  problems?: Problem[];
  help?: string;
  children: ReactNode;
}

export function Prop({ label, problems = [], help, children }: PropProps) {
  return (
    <div style={{ marginBottom: 10 }}>
      <Typography.Text style={{ display: 'block', fontSize: 12, marginBottom: 2 }} type="secondary">{label}</Typography.Text>
      {children}
      {help ? <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>{help}</Typography.Text> : null}
      <ProblemText problems={problems} />
    </div>
  );
}

export const MONO = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' };

/** Fields a person can be picked from: owner and the form's member fields. */
export function memberFields(fields: FieldDef[]): FieldDef[] {
  return [{ key: 'owner', type: 'member' }, ...fields.filter((f) => f.type === 'member' && f.key !== 'owner')];
}

// ---- recipients: the flows' assignee specs, one way of naming people each --------------------------------------
export type Assignee = Record<string, unknown>;

interface AssigneeKind {
  key: 'role' | 'users' | 'field' | 'user';
  blank: (app: AppDraft, fields: FieldDef[]) => Assignee;
  Input: (props: { spec: Assignee; onChange: (spec: Assignee) => void; app: AppDraft; fields: FieldDef[] }) => ReactNode;
}

const ids = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

const ASSIGNEE_KINDS: AssigneeKind[] = [
  {
    key: 'role',
    blank: (app) => ({ role: app.roles?.[0]?.key ?? '' }),
    Input: ({ spec, onChange, app }) => (
      <Select style={{ minWidth: 160 }} value={(spec.role as string) || undefined} onChange={(role: string) => onChange({ role })}
        options={(app.roles ?? []).map((r) => ({ value: r.key, label: r.name ? `${named(r.name, r.key)}` : r.key }))} />
    ),
  },
  {
    key: 'field',
    blank: () => ({ field: 'owner' }),
    Input: ({ spec, onChange, fields }) => (
      <Select style={{ minWidth: 160 }} value={(spec.field as string) || undefined} onChange={(field: string) => onChange({ field })}
        options={memberFields(fields).map((f) => ({ value: f.key, label: f.label ? `${named(f.label, f.key)}` : f.key }))} />
    ),
  },
  {
    key: 'users',
    blank: () => ({ users: [] }),
    Input: ({ spec, onChange }) => (
      <Select mode="tags" style={{ minWidth: 200 }} value={ids(spec.users)}
        onChange={(values: string[]) => onChange({ users: values.map(Number).filter((n) => Number.isInteger(n) && n > 0) })} />
    ),
  },
  {
    key: 'user',
    blank: () => ({ user: 1 }),
    Input: ({ spec, onChange }) => (
      <InputNumber min={1} value={typeof spec.user === 'number' ? spec.user : null} onChange={(user) => onChange({ user: user ?? 1 })} />
    ),
  },
];

function kindOf(spec: Assignee): AssigneeKind | undefined {
  return ASSIGNEE_KINDS.find((k) => k.key in spec);
}

interface AssigneeListProps {
  value: Assignee[];
  onChange: (next: Assignee[]) => void;
  app: AppDraft;
  fields: FieldDef[];
  t: RuleT;
  testId: string;
}

export function AssigneeList({ value, onChange, app, fields, t, testId }: AssigneeListProps) {
  const set = (i: number, spec: Assignee | null) =>
    onChange(spec === null ? value.filter((_, k) => k !== i) : value.map((s, k) => (k === i ? spec : s)));
  return (
    <Space orientation="vertical" size={6} data-testid={testId}>
      {value.map((spec, i) => {
        const kind = kindOf(spec);
        return (
          <Space key={i} wrap>
            <Select style={{ minWidth: 140 }} value={kind?.key ?? 'other'}
              onChange={(key: string) => set(i, ASSIGNEE_KINDS.find((k) => k.key === key)!.blank(app, fields))}
              options={[
                ...ASSIGNEE_KINDS.map((k) => ({ value: k.key, label: t(`who.${k.key}`) })),
                ...(kind ? [] : [{ value: 'other', label: t('who.other'), disabled: true }]),
              ]} />
            {kind ? <kind.Input spec={spec} onChange={(next) => set(i, next)} app={app} fields={fields} />
              : <Typography.Text code>{JSON.stringify(spec)}</Typography.Text>}
            <Button type="text" icon={<DeleteOutlined />} aria-label={t('if.remove')} onClick={() => set(i, null)} />
          </Space>
        );
      })}
      <Button size="small" icon={<PlusOutlined />} onClick={() => onChange([...value, ASSIGNEE_KINDS[0].blank(app, fields)])}>
        {t('who.add')}
      </Button>
    </Space>
  );
}
