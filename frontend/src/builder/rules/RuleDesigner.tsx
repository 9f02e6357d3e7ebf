/**
 * The rule designer: when (form, record events, schedule) · if (condition rows or a formula) · then / else (actions),
 * with a live count of the records the condition holds for now and "run now" for a published rule.
 */
import { Alert, Button, type ButtonProps, Card, Checkbox, Input, Popconfirm, Segmented, Select, Space, Switch, Tabs, Typography } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../../api';
import { builderApi } from '../api';
import { JsonDesigner } from '../JsonDesigner';
import { named, useText } from '../text';
import type { AppDraft, DesignerProps, FormDef, Item, Problem } from '../types';
import { ActionList } from './ActionList';
import { ACTION_EDITORS, type ActionValue } from './actions';
import { rulesApi, type ActionTypeInfo, type PreviewCount, type RunResult } from './api';
import { ConditionBuilder } from './ConditionBuilder';
import { compileCondition, parseCondition, type ConditionTree } from './conditions';
import { MONO, ProblemText, problemsAt, Prop } from './parts';
import { RULE_TEXT, type RuleT } from './text';

export interface RuleItem extends Item {
  form: string;
  on?: ('created' | 'updated')[];
  fields?: string[];
  schedule?: string | null;
  when?: string | null;
  then?: ActionValue[];
  else?: ActionValue[];
  enabled?: boolean;
  description?: string | null;
}

/** Set `key` to `next`, or drop it when empty (the format's optional keys are better absent than blank). */
function withKey<T extends Item>(item: T, key: string, next: unknown): T {
  const copy: Record<string, unknown> = { ...item };
  if (next === undefined || next === null || next === '' || (Array.isArray(next) && next.length === 0 && key !== 'then')) delete copy[key];
  else copy[key] = next;
  return copy as T;
}

// ---- when ---------------------------------------------------------------------------------------------------
const SCHEDULE_PRESETS = [
  { cron: '0 2 * * *', label: 'schedule.daily2' },
  { cron: '0 9 * * *', label: 'schedule.daily9' },
  { cron: '0 * * * *', label: 'schedule.hourly' },
  { cron: '0 9 * * 1', label: 'schedule.monday9' },
  { cron: '0 2 1 * *', label: 'schedule.monthly' },
] as const;

function ScheduleInput({ value, onChange, problems, t }: { value: string; onChange: (v: string) => void; problems: Problem[]; t: RuleT }) {
  const preset = SCHEDULE_PRESETS.find((p) => p.cron === value);
  const [custom, setCustom] = useState(Boolean(value) && !preset);
  const choice = !value && !custom ? 'none' : preset && !custom ? value : 'custom';
  return (
    <Prop label={t('when.schedule')} problems={problems} help={choice === 'custom' ? t('schedule.cronHelp') : undefined}>
      <Space wrap>
        <Select data-testid="rule-schedule" style={{ minWidth: 180 }} value={choice}
          options={[
            { value: 'none', label: t('schedule.none') },
            ...SCHEDULE_PRESETS.map((p) => ({ value: p.cron, label: `${t(p.label)}` })),
            { value: 'custom', label: t('schedule.custom') },
          ]}
          onChange={(next: string) => {
            setCustom(next === 'custom');
            if (next === 'none') onChange('');
            else if (next !== 'custom') onChange(next);
          }} />
        {choice === 'custom' ? (
          <Input data-testid="rule-schedule-cron" style={{ ...MONO, width: 180 }} value={value} placeholder="0 2 * * *"
            onChange={(e) => onChange(e.target.value)} />
        ) : value ? <Typography.Text code>{value}</Typography.Text> : null}
      </Space>
    </Prop>
  );
}

function WhenCard({ value, onChange, forms, problems, t }: { value: RuleItem; onChange: (v: RuleItem) => void; forms: FormDef[]; problems: Problem[]; t: RuleT }) {
  const form = forms.find((f) => f.key === value.form);
  const on = value.on ?? [];
  const toggle = (event: 'created' | 'updated', checked: boolean) => {
    const next = (['created', 'updated'] as const).filter((e) => (e === event ? checked : on.includes(e)));
    let rule = withKey(value, 'on', next);
    if (!next.includes('updated')) rule = withKey(rule, 'fields', []); // `fields` needs `updated`
    onChange(rule);
  };
  return (
    <Card size="small" title={t('when.title')} data-testid="rule-when">
      <Space wrap align="start" size={24}>
        <Prop label={t('when.form')} problems={problemsAt(problems, '/form')}>
          <Select data-testid="rule-form" style={{ minWidth: 200 }} showSearch optionFilterProp="label" value={value.form || undefined}
            placeholder={t('when.formPick')} options={forms.map((f) => ({ value: f.key, label: `${named(f.name, f.key)}` }))}
            onChange={(next: string) => onChange({ ...value, form: next })} />
        </Prop>
        <Prop label={t('when.on')} problems={problemsAt(problems, '/on')}>
          <Space>
            <Checkbox data-testid="rule-on-created" checked={on.includes('created')} onChange={(e) => toggle('created', e.target.checked)}>
              {t('on.created')}
            </Checkbox>
            <Checkbox data-testid="rule-on-updated" checked={on.includes('updated')} onChange={(e) => toggle('updated', e.target.checked)}>
              {t('on.updated')}
            </Checkbox>
          </Space>
        </Prop>
        {on.includes('updated') ? (
          <Prop label={t('when.fields')} problems={problemsAt(problems, '/fields')}>
            <Select data-testid="rule-fields" mode="multiple" style={{ minWidth: 220 }} placeholder={t('when.fieldsAny')}
              value={value.fields ?? []} options={(form?.fields ?? []).map((f) => ({ value: f.key, label: f.label ?? f.key }))}
              onChange={(fields: string[]) => onChange(withKey(value, 'fields', fields))} />
          </Prop>
        ) : null}
        <ScheduleInput value={value.schedule ?? ''} t={t} problems={problemsAt(problems, '/schedule')}
          onChange={(schedule) => onChange(withKey(value, 'schedule', schedule))} />
      </Space>
    </Card>
  );
}

// ---- if -----------------------------------------------------------------------------------------------------
type PreviewState =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'counted'; count: PreviewCount }
  | { state: 'unpublished' }
  | { state: 'failed'; message: string };

function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.details[0]?.message ?? error.message;
  return (error as Error).message;
}

/** The count of records the condition holds for now, asked for half a second after the last edit. */
function usePreview(appKey: string, form: string, when: string): PreviewState {
  const [preview, setPreview] = useState<PreviewState>({ state: 'idle' });
  useEffect(() => {
    if (!form) {
      setPreview({ state: 'idle' });
      return undefined;
    }
    const controller = new AbortController();
    setPreview({ state: 'loading' });
    const timer = window.setTimeout(() => {
      rulesApi.preview(appKey, { form, when }, controller.signal).then(
        (count) => setPreview({ state: 'counted', count }),
        (error: unknown) => {
          if ((error as Error).name === 'AbortError') return;
          // the form is not in the published app yet: nothing to count
          if (error instanceof ApiError && error.status === 422 && error.details.some((d) => d.path === '/form')) {
            setPreview({ state: 'unpublished' });
          } else {
            setPreview({ state: 'failed', message: errorMessage(error) });
          }
        },
      );
    }, 500);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [appKey, form, when]);
  return preview;
}

function PreviewLine({ preview, form, t }: { preview: PreviewState; form: string; t: RuleT }) {
  const body = {
    idle: () => <Typography.Text type="secondary">{t('preview.noForm')}</Typography.Text>,
    loading: () => <Typography.Text type="secondary">{t('preview.loading')}</Typography.Text>,
    counted: () => preview.state === 'counted' && (
      <Typography.Text strong>{t('preview.count', { matched: preview.count.matched, total: preview.count.total })}</Typography.Text>
    ),
    unpublished: () => <Typography.Text type="warning">{t('preview.unpublished', { form })}</Typography.Text>,
    failed: () => preview.state === 'failed' && <Typography.Text type="warning">{t('preview.failed', { message: preview.message })}</Typography.Text>,
  }[preview.state]();
  return <div data-testid="rule-preview" data-state={preview.state} style={{ marginTop: 12 }}>{body}</div>;
}

const EMPTY_TREE: ConditionTree = { join: 'AND', items: [] };

function IfCard({ appKey, value, onChange, form, problems, t }: {
  appKey: string; value: RuleItem; onChange: (v: RuleItem) => void; form: FormDef | undefined; problems: Problem[]; t: RuleT;
}) {
  const fields = form?.fields ?? [];
  const when = value.when ?? '';
  const [tree, setTree] = useState<ConditionTree>(() => parseCondition(when, fields) ?? EMPTY_TREE);
  const [mode, setMode] = useState<'builder' | 'formula'>(() => (parseCondition(when, fields) ? 'builder' : 'formula'));
  const [cannotDraw, setCannotDraw] = useState(false);
  const fieldsRef = useRef(fields);
  fieldsRef.current = fields;
  // an edit from elsewhere (the JSON tab, the formula box): draw it again when the builder can
  useEffect(() => {
    setTree((current) => {
      if (compileCondition(current, fieldsRef.current) === when) return current;
      const parsed = parseCondition(when, fieldsRef.current);
      if (parsed) return parsed;
      setMode('formula');
      return current;
    });
  }, [when]);
  const setWhen = (text: string) => onChange(withKey(value, 'when', text.trim() ? text : ''));
  const editTree = (next: ConditionTree) => {
    setTree(next);
    setWhen(compileCondition(next, fields));
  };
  const switchMode = (next: 'builder' | 'formula') => {
    if (next === 'formula') {
      setCannotDraw(false);
      setMode(next);
      return;
    }
    const parsed = parseCondition(when, fields);
    setCannotDraw(!parsed);
    if (parsed) {
      setTree(parsed);
      setMode('builder');
    }
  };
  const preview = usePreview(appKey, value.form, when);
  const whenProblems = problemsAt(problems, '/when');
  return (
    <Card size="small" title={t('if.title')} data-testid="rule-if"
      extra={(
        <Segmented data-testid="cond-mode" value={mode} onChange={(m) => switchMode(m as 'builder' | 'formula')}
          options={[{ value: 'builder', label: t('if.builder') }, { value: 'formula', label: t('if.formula') }]} />
      )}>
      {cannotDraw ? <Alert type="info" showIcon title={t('if.cannotDraw')} style={{ marginBottom: 8 }} /> : null}
      {mode === 'builder' ? (
        <ConditionBuilder tree={tree} formFields={fields} onChange={editTree} t={t} />
      ) : (
        <Prop label={t('if.formula')} help={t('if.formulaHelp')}>
          <Input.TextArea data-testid="rule-when-formula" style={MONO} autoSize={{ minRows: 2, maxRows: 10 }} value={when}
            status={whenProblems.length ? 'error' : undefined} onChange={(e) => setWhen(e.target.value)} />
        </Prop>
      )}
      <ProblemText problems={whenProblems} testId="rule-when-problems" />
      <PreviewLine preview={preview} form={form?.name ?? value.form} t={t} />
    </Card>
  );
}

// ---- run now ------------------------------------------------------------------------------------------------
function RunNow({ appKey, app, rule, formName, t }: { appKey: string; app: AppDraft; rule: RuleItem; formName: string; t: RuleT }) {
  const [published, setPublished] = useState<boolean | null>(null);
  const [result, setResult] = useState<{ ok: RunResult } | { error: string } | null>(null);
  const [running, setRunning] = useState(false);
  const check = async (): Promise<boolean> => {
    const app = await builderApi.published(appKey);
    const found = (app.rules ?? []).some((r) => r.key === rule.key && r.enabled !== false);
    setPublished(found);
    return found;
  };
  // asked again a moment after the working copy changes: publishing happens in the workspace, not here
  useEffect(() => {
    const timer = window.setTimeout(() => check().catch(() => setPublished(null)), published === null ? 0 : 1500);
    return () => window.clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [appKey, rule.key, app]);
  const run = async () => {
    setRunning(true);
    setResult(null);
    try {
      if (!(await check())) return;
      setResult({ ok: await rulesApi.run(appKey, rule.key) });
    } catch (error) {
      setResult({ error: errorMessage(error) });
    } finally {
      setRunning(false);
    }
  };
  return (
    <Space orientation="vertical" size={4} data-testid="rule-run-box">
      <Popconfirm title={t('run.confirm', { form: formName })} onConfirm={run} okButtonProps={{ 'data-testid': 'rule-run-confirm' } as ButtonProps}>
        <Button type="primary" ghost loading={running} data-testid="rule-run">{t('run.button')}</Button>
      </Popconfirm>
      {published === false ? <Typography.Text type="secondary" data-testid="rule-run-unpublished">{t('run.unpublished')}</Typography.Text> : null}
      {result && 'ok' in result ? (
        <Alert type="success" showIcon data-testid="rule-run-result"
          title={t('run.result', { ...result.ok }) + (result.ok.acted || result.ok.failed ? t('run.resultActs', { ...result.ok }) : '')} />
      ) : null}
      {result && 'error' in result ? <Alert type="error" showIcon data-testid="rule-run-result" title={t('run.failed', { message: result.error })} /> : null}
    </Space>
  );
}

// ---- the designer -----------------------------------------------------------------------------------------------
function useActionTypes(): ActionTypeInfo[] {
  const fallback = useMemo(() => Object.keys(ACTION_EDITORS).map((action) => ({
    action, label: { 'zh-CN': '', en: '' }, acts: false, schema: {},
  })), []);
  const [types, setTypes] = useState<ActionTypeInfo[] | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    rulesApi.actionTypes(controller.signal).then(setTypes, () => undefined);
    return () => controller.abort();
  }, []);
  return types ?? fallback;
}

function RuleForm({ appKey, app, value, onChange, problems }: DesignerProps<RuleItem>) {
  const t = useText(RULE_TEXT) as RuleT;
  const types = useActionTypes();
  const form = app.forms.find((f) => f.key === value.form);
  const ctx = { app, form };
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={12} data-testid="rule-designer">
      {/* the name is edited in the workspace's header; its problems show here */}
      <ProblemText problems={problemsAt(problems, '/name')} />
      <Space wrap align="start" size={24}>
        <Prop label={t('enabled')}>
          <Switch data-testid="rule-enabled" checked={value.enabled !== false}
            onChange={(on) => onChange(withKey(value, 'enabled', on ? undefined : false))} />
        </Prop>
        <Prop label={t('description')} problems={problemsAt(problems, '/description')}>
          <Input style={{ width: 360 }} value={value.description ?? ''} onChange={(e) => onChange(withKey(value, 'description', e.target.value))} />
        </Prop>
        <RunNow appKey={appKey} app={app} rule={value} formName={form?.name ?? value.form} t={t} />
      </Space>
      <WhenCard value={value} onChange={onChange} forms={app.forms} problems={problems} t={t} />
      <IfCard key={value.form} appKey={appKey} value={value} onChange={onChange} form={form} problems={problems} t={t} />
      {(['then', 'else'] as const).map((branch) => (
        <Card key={branch} size="small" title={t(`${branch}.title`)}>
          <ActionList branch={branch} actions={value[branch] ?? []} types={types} ctx={ctx} problems={problems} t={t}
            onChange={(next) => onChange(withKey(value, branch, next))} />
        </Card>
      ))}
    </Space>
  );
}

export function RuleDesigner(props: DesignerProps<RuleItem>) {
  const t = useText(RULE_TEXT);
  return (
    <Tabs key={props.value.key} items={[
      { key: 'design', label: t('tab.design'), children: <RuleForm {...props} /> },
      { key: 'json', label: t('tab.json'), children: <JsonDesigner {...props} /> },
    ]} />
  );
}
