/**
 * One editor per action type (docs/rules.md). An action without an editor here (score, stage, rfm, churn, or a type
 * the server adds later) is edited as JSON, so the designer never drops what it does not draw.
 */
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { AutoComplete, Button, Checkbox, Input, InputNumber, Select, Space, Typography } from 'antd';
import { useEffect, useState, type ComponentType } from 'react';
import type { AppDraft, FieldDef, FormDef, Problem } from '../types';
import { AssigneeList, MONO, memberFields, problemsAt, Prop, type Assignee } from './parts';
import type { RuleT } from './text';
import { named } from '../text';

export type ActionValue = { action: string; [property: string]: unknown };

export interface ActionContext {
  app: AppDraft;
  /** The rule's form (undefined while none is chosen). */
  form: FormDef | undefined;
}

export interface ActionEditorProps {
  action: ActionValue;
  onChange: (next: ActionValue) => void;
  ctx: ActionContext;
  /** Problems inside this action, paths relative to it ("/tag"). */
  problems: Problem[];
  t: RuleT;
  testId: string;
}

export interface ActionEditor {
  blank: (ctx: ActionContext) => ActionValue;
  Editor: ComponentType<ActionEditorProps>;
}

const fieldsOf = (ctx: ActionContext): FieldDef[] => ctx.form?.fields ?? [];
const label = (f: FieldDef) => (f.label ? `${named(f.label, f.key)}` : f.key);
const fieldOptions = (fields: FieldDef[]) => fields.map((f) => ({ value: f.key, label: label(f) }));
const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** Types set_field may write (docs/rules.md "Checked at publish"). */
const SETTABLE = new Set(['text', 'long_text', 'number', 'money', 'percent', 'select', 'radio', 'checkbox', 'switch', 'date', 'datetime']);

function tagsFields(ctx: ActionContext): FieldDef[] {
  return fieldsOf(ctx).filter((f) => f.type === 'tags');
}

/** Tags other rules of the app already use on this field: offered while typing. */
function knownTags(ctx: ActionContext, field: string): { value: string }[] {
  const seen = new Set<string>();
  for (const rule of ctx.app.rules ?? []) {
    for (const branch of ['then', 'else']) {
      for (const a of (rule[branch] as ActionValue[] | undefined) ?? []) {
        if ((a.action === 'add_tag' || a.action === 'remove_tag') && (a.field ?? 'tags') === field && typeof a.tag === 'string' && a.tag) seen.add(a.tag);
      }
    }
  }
  return [...seen].map((value) => ({ value }));
}

function TagEditor({ action, onChange, ctx, problems, t, testId }: ActionEditorProps) {
  const field = str(action.field) || 'tags';
  return (
    <Space wrap align="start">
      <Prop label={t('prop.tagsField')} problems={problemsAt(problems, '/field')}>
        <Select data-testid={`${testId}-field`} style={{ minWidth: 160 }} value={field}
          options={fieldOptions(tagsFields(ctx))} onChange={(next: string) => onChange({ ...action, field: next })} />
      </Prop>
      <Prop label={t('prop.tag')} problems={problemsAt(problems, '/tag')}>
        <AutoComplete data-testid={`${testId}-tag`} style={{ minWidth: 200 }} value={str(action.tag)}
          options={knownTags(ctx, field)} onChange={(tag: string) => onChange({ ...action, tag })} />
      </Prop>
      {action.action === 'remove_tag' ? (
        <Prop label=" ">
          <Checkbox checked={action.keep_manual !== false}
            onChange={(e) => onChange({ ...action, keep_manual: e.target.checked })}>{t('prop.keepManual')}</Checkbox>
        </Prop>
      ) : null}
    </Space>
  );
}

function SetFieldEditor({ action, onChange, ctx, problems, t, testId }: ActionEditorProps) {
  return (
    <Space wrap align="start">
      <Prop label={t('prop.field')} problems={problemsAt(problems, '/field')}>
        <Select data-testid={`${testId}-field`} style={{ minWidth: 180 }} value={str(action.field) || undefined} showSearch
          options={fieldOptions(fieldsOf(ctx).filter((f) => SETTABLE.has(f.type)))} onChange={(field: string) => onChange({ ...action, field })} />
      </Prop>
      <Prop label={t('prop.value')} problems={problemsAt(problems, '/value')} help={t('prop.valueHelp')}>
        <Input data-testid={`${testId}-value`} style={{ ...MONO, minWidth: 280 }} value={str(action.value)}
          onChange={(e) => onChange({ ...action, value: e.target.value })} />
      </Prop>
    </Space>
  );
}

const STRATEGIES = ['round_robin', 'least_loaded', 'by_field'] as const;

function AssignOwnerEditor({ action, onChange, ctx, problems, t, testId }: ActionEditorProps) {
  const strategy = (action.strategy as string) ?? 'round_robin';
  const map = Object.entries((action.map as Record<string, number> | undefined) ?? {});
  const setMap = (entries: [string, number][]) => onChange({ ...action, map: Object.fromEntries(entries) });
  return (
    <div>
      <Space wrap align="start">
        <Prop label={t('prop.ownerField')} problems={problemsAt(problems, '/field')}>
          <Select data-testid={`${testId}-field`} style={{ minWidth: 160 }} value={str(action.field) || 'owner'}
            options={fieldOptions(memberFields(fieldsOf(ctx)))} onChange={(field: string) => onChange({ ...action, field })} />
        </Prop>
        <Prop label={t('prop.strategy')} problems={problemsAt(problems, '/strategy')}>
          <Select data-testid={`${testId}-strategy`} style={{ minWidth: 200 }} value={strategy}
            options={STRATEGIES.map((s) => ({ value: s, label: t(`strategy.${s}`) }))}
            onChange={(next: string) => onChange({ ...action, strategy: next })} />
        </Prop>
      </Space>
      {strategy === 'by_field' ? (
        <>
          <Prop label={t('prop.by')} problems={problemsAt(problems, '/by')} help={t('prop.byHelp')}>
            <Input style={{ ...MONO, maxWidth: 360 }} value={str(action.by)} onChange={(e) => onChange({ ...action, by: e.target.value })} />
          </Prop>
          <Prop label={t('prop.map')} problems={problemsAt(problems, '/map')}>
            <Space orientation="vertical" size={4}>
              {map.map(([key, user], i) => (
                <Space key={i}>
                  <Input placeholder={t('prop.mapValue')} value={key}
                    onChange={(e) => setMap(map.map((m, k) => (k === i ? [e.target.value, m[1]] : m)))} />
                  <InputNumber placeholder={t('prop.mapUser')} min={1} value={user}
                    onChange={(v) => setMap(map.map((m, k) => (k === i ? [m[0], v ?? 1] : m)))} />
                  <Button type="text" icon={<DeleteOutlined />} aria-label={t('if.remove')} onClick={() => setMap(map.filter((_, k) => k !== i))} />
                </Space>
              ))}
              <Button size="small" icon={<PlusOutlined />} onClick={() => setMap([...map, ['', 1]])}>{t('prop.add')}</Button>
            </Space>
          </Prop>
          <Prop label={t('prop.default')} problems={problemsAt(problems, '/default')}>
            <InputNumber min={1} value={typeof action.default === 'number' ? action.default : null}
              onChange={(v) => {
                const { default: _old, ...rest } = action;
                onChange(v ? { ...rest, default: v } : (rest as ActionValue));
              }} />
          </Prop>
        </>
      ) : (
        <Prop label={t('prop.candidates')} problems={problemsAt(problems, '/to')}>
          <AssigneeList value={(action.to as Assignee[]) ?? []} onChange={(to) => onChange({ ...action, to })} app={ctx.app}
            fields={fieldsOf(ctx)} t={t} testId={`${testId}-to`} />
        </Prop>
      )}
    </div>
  );
}

function CreateTaskEditor({ action, onChange, ctx, problems, t, testId }: ActionEditorProps) {
  const form = ctx.app.forms.find((f) => f.key === action.form);
  const values = Object.entries((action.values as Record<string, string> | undefined) ?? {});
  const setValues = (entries: [string, string][]) => onChange({ ...action, values: Object.fromEntries(entries) });
  return (
    <div>
      <Prop label={t('prop.taskForm')} problems={problemsAt(problems, '/form')}>
        <Select data-testid={`${testId}-form`} style={{ minWidth: 200 }} value={str(action.form) || undefined}
          options={ctx.app.forms.map((f) => ({ value: f.key, label: `${named(f.name, f.key)}` }))}
          onChange={(next: string) => onChange({ ...action, form: next, values: {} })} />
      </Prop>
      <Prop label={t('prop.values')} problems={problemsAt(problems, '/values')}>
        <Space orientation="vertical" size={4}>
          {values.map(([key, expr], i) => (
            <Space key={i}>
              <Select style={{ minWidth: 160 }} value={key || undefined} options={fieldOptions(form?.fields ?? [])}
                onChange={(next: string) => setValues(values.map((v, k) => (k === i ? [next, v[1]] : v)))} />
              <Input style={{ ...MONO, minWidth: 260 }} value={expr}
                onChange={(e) => setValues(values.map((v, k) => (k === i ? [v[0], e.target.value] : v)))} />
              <Button type="text" icon={<DeleteOutlined />} aria-label={t('if.remove')} onClick={() => setValues(values.filter((_, k) => k !== i))} />
            </Space>
          ))}
          <Button size="small" icon={<PlusOutlined />} disabled={!form}
            onClick={() => setValues([...values, [form?.fields.find((f) => !values.some(([k]) => k === f.key))?.key ?? '', "''"]])}>
            {t('prop.addValue')}
          </Button>
        </Space>
      </Prop>
    </div>
  );
}

function StartFlowEditor({ action, onChange, ctx, problems, t, testId }: ActionEditorProps) {
  // a flow starts on the rule's record, so only the flows of the rule's form fit
  const flows = (ctx.app.flows ?? []).filter((f) => {
    const trigger = f.trigger as { form?: string } | undefined;
    return !trigger?.form || trigger.form === ctx.form?.key;
  });
  return (
    <Prop label={t('prop.flow')} problems={problemsAt(problems, '/flow')}
      help={flows.length ? undefined : t('prop.noFlows', { form: ctx.form?.name ?? '' })}>
      <Select data-testid={`${testId}-flow`} style={{ minWidth: 220 }} value={str(action.flow) || undefined}
        options={flows.map((f) => ({ value: f.key, label: f.name ? `${named(f.name, f.key)}` : f.key }))}
        onChange={(flow: string) => onChange({ ...action, flow })} />
    </Prop>
  );
}

const CHANNELS = ['in_app', 'email', 'sms', 'wecom', 'dingtalk'] as const;

function NotifyEditor({ action, onChange, ctx, problems, t, testId }: ActionEditorProps) {
  return (
    <div>
      <Prop label={t('prop.to')} problems={problemsAt(problems, '/to')}>
        <AssigneeList value={(action.to as Assignee[]) ?? []} onChange={(to) => onChange({ ...action, to })} app={ctx.app}
          fields={fieldsOf(ctx)} t={t} testId={`${testId}-to`} />
      </Prop>
      <Space wrap align="start">
        <Prop label={t('prop.title')} problems={problemsAt(problems, '/title')}>
          <Input style={{ minWidth: 240 }} value={str(action.title)} onChange={(e) => onChange({ ...action, title: e.target.value })} />
        </Prop>
        <Prop label={t('prop.channel')} problems={problemsAt(problems, '/channel')}>
          <Select style={{ minWidth: 140 }} value={(action.channel as string) ?? 'in_app'}
            options={CHANNELS.map((c) => ({ value: c, label: t(`channel.${c}`) }))} onChange={(channel: string) => onChange({ ...action, channel })} />
        </Prop>
      </Space>
      <Prop label={t('prop.template')} problems={problemsAt(problems, '/template')} help={t('prop.templateHelp')}>
        <Input.TextArea data-testid={`${testId}-template`} autoSize={{ minRows: 2, maxRows: 8 }} value={str(action.template)}
          onChange={(e) => onChange({ ...action, template: e.target.value })} />
      </Prop>
    </div>
  );
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function HttpRequestEditor({ action, onChange, problems, t, testId }: ActionEditorProps) {
  const headers = Object.entries((action.headers as Record<string, string> | undefined) ?? {});
  const setHeaders = (entries: [string, string][]) => onChange({ ...action, headers: Object.fromEntries(entries) });
  return (
    <div>
      <Space wrap align="start">
        <Prop label={t('prop.method')} problems={problemsAt(problems, '/method')}>
          <Select style={{ minWidth: 100 }} value={(action.method as string) ?? 'POST'} options={METHODS.map((m) => ({ value: m, label: m }))}
            onChange={(method: string) => onChange({ ...action, method })} />
        </Prop>
        <Prop label={t('prop.url')} problems={problemsAt(problems, '/url')}>
          <Input data-testid={`${testId}-url`} style={{ ...MONO, minWidth: 360 }} value={str(action.url)}
            onChange={(e) => onChange({ ...action, url: e.target.value })} />
        </Prop>
      </Space>
      <Prop label={t('prop.headers')} problems={problemsAt(problems, '/headers')}>
        <Space orientation="vertical" size={4}>
          {headers.map(([name, value], i) => (
            <Space key={i}>
              <Input placeholder={t('prop.headerName')} value={name}
                onChange={(e) => setHeaders(headers.map((h, k) => (k === i ? [e.target.value, h[1]] : h)))} />
              <Input placeholder={t('prop.headerValue')} value={value}
                onChange={(e) => setHeaders(headers.map((h, k) => (k === i ? [h[0], e.target.value] : h)))} />
              <Button type="text" icon={<DeleteOutlined />} aria-label={t('if.remove')} onClick={() => setHeaders(headers.filter((_, k) => k !== i))} />
            </Space>
          ))}
          <Button size="small" icon={<PlusOutlined />} onClick={() => setHeaders([...headers, ['', '']])}>{t('prop.add')}</Button>
        </Space>
      </Prop>
      <Prop label={t('prop.body')} problems={problemsAt(problems, '/body')}>
        <Input.TextArea style={MONO} autoSize={{ minRows: 2, maxRows: 10 }} value={str(action.body)}
          onChange={(e) => {
            const { body: _old, ...rest } = action;
            onChange(e.target.value ? { ...rest, body: e.target.value } : (rest as ActionValue));
          }} />
      </Prop>
    </div>
  );
}

/** Any other action, as its JSON; the `action` key stays. */
export function JsonActionEditor({ action, onChange, problems, t, testId }: ActionEditorProps) {
  const [text, setText] = useState(() => JSON.stringify(action, null, 2));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText((current) => {
      try {
        if (JSON.stringify(JSON.parse(current)) === JSON.stringify(action)) return current;
      } catch {
        return current;
      }
      return JSON.stringify(action, null, 2);
    });
  }, [action]);
  return (
    <Prop label={t('action.json')} problems={problems}>
      <Input.TextArea data-testid={`${testId}-json`} style={{ ...MONO, fontSize: 12 }} autoSize={{ minRows: 3, maxRows: 20 }} value={text}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const parsed = JSON.parse(e.target.value) as ActionValue;
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('{ … }');
            setError(null);
            onChange({ ...parsed, action: action.action });
          } catch (err) {
            setError(t('action.jsonInvalid', { message: (err as Error).message }));
          }
        }} />
      {error ? <Typography.Text type="warning">{error}</Typography.Text> : null}
    </Prop>
  );
}

export const ACTION_EDITORS: Record<string, ActionEditor> = {
  add_tag: { blank: (ctx) => ({ action: 'add_tag', field: tagsFields(ctx)[0]?.key ?? 'tags', tag: '' }), Editor: TagEditor },
  remove_tag: { blank: (ctx) => ({ action: 'remove_tag', field: tagsFields(ctx)[0]?.key ?? 'tags', tag: '' }), Editor: TagEditor },
  set_field: { blank: () => ({ action: 'set_field', field: '', value: '' }), Editor: SetFieldEditor },
  assign_owner: { blank: () => ({ action: 'assign_owner', field: 'owner', strategy: 'round_robin', to: [] }), Editor: AssignOwnerEditor },
  create_task: { blank: () => ({ action: 'create_task', form: '', values: {} }), Editor: CreateTaskEditor },
  start_flow: { blank: () => ({ action: 'start_flow', flow: '' }), Editor: StartFlowEditor },
  notify: { blank: () => ({ action: 'notify', to: [{ field: 'owner' }], template: '' }), Editor: NotifyEditor },
  http_request: { blank: () => ({ action: 'http_request', method: 'POST', url: '' }), Editor: HttpRequestEditor },
};

// what the JSON-edited actions start from (docs/rules.md), so a person fills in blanks rather than guessing keys
const JSON_SKELETONS: Record<string, Omit<ActionValue, 'action'>> = {
  score: { into: '', terms: [{ when: '', points: 10 }] },
  stage: { into: '', stages: [{ when: '', value: '' }] },
  churn: { date: '', days: 30, tag: '' },
  rfm: { source: '', via: '', date: '', amount: '', into: {} },
};

/** The editor of an action type, the JSON one when none draws it. */
export function actionEditor(type: string): ActionEditor {
  return ACTION_EDITORS[type] ?? {
    blank: () => ({ action: type, ...structuredClone(JSON_SKELETONS[type] ?? {}) }),
    Editor: JsonActionEditor,
  };
}
