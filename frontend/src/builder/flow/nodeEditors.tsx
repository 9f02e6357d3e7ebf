/**
 * The property editors of each node type, as a registry: a type without an entry is edited as JSON. Every editor
 * edits its node through `set(patch)`; a patch value of undefined removes the key, so the node only ever holds keys
 * the format knows.
 */
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Checkbox, Input, InputNumber, Radio, Select, Space, Switch, Typography } from 'antd';
import type { ComponentType } from 'react';
import type { Problem } from '../types';
import { useFlowContext } from './context';
import { formOf, memberFields, writableFields, writeTargetForm, type AssigneeSpec, type FlowNode } from './model';
import { nodeTypeInfo } from './nodeTypes';
import { useFlowText } from './text';
import { AssigneesEditor, DurationInput, ExprInput, FieldSelect, MappingRows, Row, problemsAt } from './widgets';
import { clauseSeparator } from '../text';

export interface NodeEditorProps {
  node: FlowNode;
  index: number;
  set: (patch: Record<string, unknown>) => void;
  problems: Problem[];
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const bool = (value: unknown, fallback: boolean): boolean => (typeof value === 'boolean' ? value : fallback);
const orUndefined = (text: string): string | undefined => (text === '' ? undefined : text);

function ChoiceSelect<K extends string>({ value, options, onChange, label, testId }: {
  value: K | undefined; options: readonly K[]; onChange: (next: K) => void; label: (k: K) => string; testId?: string;
}) {
  return <Select value={value} onChange={onChange} options={options.map((k) => ({ value: k, label: label(k) }))}
    data-testid={testId} style={{ width: '100%' }} />;
}

// ---- people steps --------------------------------------------------------------------------------------------------

const MODES = ['or_sign', 'countersign', 'sequential'] as const;
const WHEN_EMPTY = ['fail', 'auto_approve', 'reject'] as const;
const SLA_ACTIONS = ['remind', 'escalate', 'auto_approve', 'auto_reject'] as const;

interface TimeoutDef {
  after: string;
  working_days?: boolean;
  action?: (typeof SLA_ACTIONS)[number];
  to?: AssigneeSpec[];
}

/** The step's time limits: after a duration (clock or working days), remind / escalate / decide automatically. */
function SlaEditor({ value, onChange, problems }: { value: unknown; onChange: (next: TimeoutDef[] | undefined) => void; problems: Problem[] }) {
  const t = useFlowText();
  const rows: TimeoutDef[] = Array.isArray(value) ? value : value && typeof value === 'object' ? [value as TimeoutDef] : [];
  const write = (next: TimeoutDef[]) => onChange(next.length ? next : undefined);
  const edit = (i: number, patch: Partial<TimeoutDef>) =>
    write(rows.map((row, j) => (j === i ? (Object.fromEntries(Object.entries({ ...row, ...patch }).filter(([, v]) => v !== undefined)) as unknown as TimeoutDef) : row)));
  return (
    <div data-testid="flow-sla">
      {rows.map((row, i) => {
        const action = row.action ?? 'remind';
        const mine = problemsAt(problems, `/timeout/${i}`);
        return (
          <div key={i} style={{ border: '1px solid var(--ant-color-border-secondary, #f0f0f0)', borderRadius: 6, padding: 8, marginBottom: 8 }}>
            <Space wrap>
              <span>{t('sla.after')}</span>
              <DurationInput value={row.after} onChange={(after) => edit(i, { after })} testId={`flow-sla-${i}-after`} />
              <Checkbox checked={!!row.working_days} onChange={(e) => edit(i, { working_days: e.target.checked || undefined })}>
                {t('sla.workingDays')}
              </Checkbox>
            </Space>
            <Space wrap style={{ marginTop: 6 }}>
              <span>{t('sla.action')}</span>
              <Select value={action} style={{ width: 140 }} onChange={(next) => edit(i, { action: next, ...(next.startsWith('auto') ? { to: undefined } : {}) })}
                options={SLA_ACTIONS.map((a) => ({ value: a, label: t(`slaAction.${a}`) }))} />
              <Button type="text" icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => write(rows.filter((_, j) => j !== i))} />
            </Space>
            {action === 'remind' || action === 'escalate' ? (
              <div style={{ marginTop: 6 }}>
                <Typography.Text type="secondary">{t('sla.to')}{action === 'escalate' && !row.to ? ` · ${t('sla.toDefault')}` : ''}</Typography.Text>
                <AssigneesEditor value={row.to} optional onChange={(to) => edit(i, { to })} />
              </div>
            ) : null}
            {mine.length ? <Typography.Text type="danger">{mine.map((p) => p.message).join(clauseSeparator())}</Typography.Text> : null}
          </div>
        );
      })}
      <Button size="small" icon={<PlusOutlined />} onClick={() => write([...rows, { after: 'P1D', action: 'remind' }])} data-testid="flow-sla-add">
        {t('sla.add')}
      </Button>
    </div>
  );
}

/** What approval and fill-in share: who, how, when nobody, SLA, CC, allowed actions, hidden fields. */
function HumanCommon({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  const { triggerForm } = useFlowContext();
  return (
    <>
      <Row label={t('assignee.title')} problems={problems} path="/assignees">
        <AssigneesEditor value={node.assignees} onChange={(assignees) => set({ assignees })} testId="flow-assignees" />
      </Row>
      <Row label={t('approval.mode')} problems={problems} path="/mode">
        <Radio.Group value={str(node.mode) ?? 'or_sign'} onChange={(e) => set({ mode: e.target.value })} data-testid="flow-mode">
          {MODES.map((mode) => (
            <Radio.Button key={mode} value={mode} title={t(`mode.${mode}.hint`)}><span data-testid={`flow-mode-${mode}`}>{t(`mode.${mode}`)}</span></Radio.Button>
          ))}
        </Radio.Group>
      </Row>
      <Row label={t('sla.title')} problems={problems} path="/timeout">
        <SlaEditor value={node.timeout} onChange={(timeout) => set({ timeout })} problems={problems} />
      </Row>
      <Row label={t('approval.whenEmpty')} problems={problems} path="/when_empty">
        <ChoiceSelect value={str(node.when_empty) as (typeof WHEN_EMPTY)[number] | undefined ?? 'fail'} options={WHEN_EMPTY}
          onChange={(when_empty) => set({ when_empty })} label={(k) => t(`whenEmpty.${k}`)} />
      </Row>
      <Row label={t('approval.fallback')} problems={problems} path="/fallback">
        <AssigneesEditor value={node.fallback} optional onChange={(fallback) => set({ fallback })} />
      </Row>
      <Row label={t('approval.cc')} problems={problems} path="/cc">
        <AssigneesEditor value={node.cc} optional onChange={(cc) => set({ cc })} />
      </Row>
      <Row label={t('approval.actions')}>
        <Space wrap>
          {([['allow_return', 'approval.allowReturn'], ['allow_transfer', 'approval.allowTransfer'],
            ['allow_add_signer', 'approval.allowAddSigner']] as const).map(([key, label]) => (
            <Checkbox key={key} checked={bool(node[key], !(node.type === 'fill_in' && key === 'allow_add_signer'))}
              onChange={(e) => set({ [key]: e.target.checked })}>{t(label)}</Checkbox>
          ))}
        </Space>
      </Row>
      <Row label={t('approval.hidden')} problems={problems} path="/hidden">
        <FieldSelect form={triggerForm} multiple value={(node.hidden as string[]) ?? []}
          onChange={(hidden: string[]) => set({ hidden: hidden.length ? hidden : undefined })} />
      </Row>
    </>
  );
}

function ApprovalEditor(props: NodeEditorProps) {
  const t = useFlowText();
  const { triggerForm } = useFlowContext();
  const { node, set, problems } = props;
  const autoPass = (node.auto_pass as { initiator?: boolean; already_approved?: boolean } | undefined) ?? {};
  const setAutoPass = (patch: Record<string, boolean>) => set({ auto_pass: { ...autoPass, ...patch } });
  return (
    <>
      <HumanCommon {...props} />
      <Row label={t('approval.autoPass')} problems={problems} path="/auto_pass">
        <Space orientation="vertical" size={2}>
          <Checkbox checked={autoPass.initiator ?? true} onChange={(e) => setAutoPass({ initiator: e.target.checked })}>{t('approval.autoPassInitiator')}</Checkbox>
          <Checkbox checked={autoPass.already_approved ?? true} onChange={(e) => setAutoPass({ already_approved: e.target.checked })}>{t('approval.autoPassApproved')}</Checkbox>
        </Space>
      </Row>
      <Row label={t('approval.editable')} problems={problems} path="/editable">
        <FieldSelect form={triggerForm} multiple value={(node.editable as string[]) ?? []} filter={(f) => writableFields(triggerForm).includes(f)}
          onChange={(editable: string[]) => set({ editable: editable.length ? editable : undefined })} />
      </Row>
    </>
  );
}

function FillInEditor(props: NodeEditorProps) {
  const t = useFlowText();
  const { triggerForm } = useFlowContext();
  const { node, set, problems } = props;
  const fields = (node.fields as { field: string; required?: boolean }[] | undefined) ?? [];
  return (
    <>
      <Row label={t('approval.fillFields')} problems={problems} path="/fields">
        <FieldSelect form={triggerForm} multiple value={fields.map((f) => f.field)} filter={(f) => writableFields(triggerForm).includes(f)}
          onChange={(keys: string[]) => set({ fields: keys.map((key) => fields.find((f) => f.field === key) ?? { field: key }) })} />
        <Space wrap style={{ marginTop: 6 }}>
          {fields.map((f, i) => (
            <Checkbox key={f.field} checked={f.required ?? true}
              onChange={(e) => set({ fields: fields.map((g, j) => (j === i ? { ...g, required: e.target.checked } : g)) })}>
              {f.field} · {t('approval.required')}
            </Checkbox>
          ))}
        </Space>
      </Row>
      <HumanCommon {...props} />
    </>
  );
}

// ---- messages ----------------------------------------------------------------------------------------------------

const CHANNELS = ['in_app', 'email', 'sms', 'wecom', 'dingtalk'] as const;

function NotifyEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  return (
    <>
      <Row label={t('notify.to')} problems={problems} path="/to">
        <AssigneesEditor value={node.to} onChange={(to) => set({ to })} testId="flow-notify-to" />
      </Row>
      {node.type === 'notify' ? (
        <>
          <Row label={t('notify.channel')} problems={problems} path="/channel">
            <ChoiceSelect value={(str(node.channel) ?? 'in_app') as (typeof CHANNELS)[number]} options={CHANNELS}
              onChange={(channel) => set({ channel })} label={(k) => t(`channel.${k}`)} />
          </Row>
          <Row label={t('notify.title')} problems={problems} path="/title">
            <Input value={str(node.title) ?? ''} onChange={(e) => set({ title: orUndefined(e.target.value) })} />
          </Row>
        </>
      ) : null}
      <Row label={t('notify.template')} problems={problems} path="/template">
        <Input.TextArea value={str(node.template) ?? ''} autoSize={{ minRows: 2, maxRows: 8 }} data-testid="flow-notify-template"
          onChange={(e) => set({ template: node.type === 'notify' ? e.target.value : orUndefined(e.target.value) })} />
      </Row>
    </>
  );
}

// ---- gateways ------------------------------------------------------------------------------------------------------

/** A condition / inclusive node's branches are its outgoing edges: each with a condition, one the default. */
function BranchesEditor({ node }: NodeEditorProps) {
  const t = useFlowText();
  const { flow, updateEdge } = useFlowContext();
  const out = flow.edges.map((edge, index) => ({ edge, index })).filter(({ edge }) => edge.from === node.id);
  const names = new Map(flow.nodes.map((n) => [n.id, n.name || n.id]));
  if (!out.length) return <Typography.Text type="secondary">{t('condition.noBranches')}</Typography.Text>;
  return (
    <Row label={t('condition.branches')}>
      {out.map(({ edge, index }) => (
        <div key={index} style={{ marginBottom: 8 }}>
          <Typography.Text strong>{t('edge.to', { name: names.get(edge.to) ?? edge.to })}</Typography.Text>
          <div style={{ display: 'flex', gap: 8, alignItems: 'center', marginTop: 4 }}>
            <ExprInput value={edge.condition} testId={`flow-branch-${index}-condition`} expect="bool"
              onChange={(condition) => updateEdge(index, stripUndefined({ ...edge, condition, ...(condition ? { default: undefined } : {}) }))} />
            <Checkbox checked={!!edge.default}
              onChange={(e) => updateEdge(index, stripUndefined({ ...edge, default: e.target.checked || undefined, ...(e.target.checked ? { condition: undefined } : {}) }))}>
              {t('edge.defaultTag')}
            </Checkbox>
          </div>
        </div>
      ))}
    </Row>
  );
}

const stripUndefined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

// ---- timers ------------------------------------------------------------------------------------------------------

function DelayEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  return (
    <>
      <Row label={t('delay.duration')} problems={problems} path="/duration">
        <DurationInput value={str(node.duration)} onChange={(duration) => set({ duration })} testId="flow-delay-duration" />
      </Row>
      <Checkbox checked={!!node.working_days} onChange={(e) => set({ working_days: e.target.checked || undefined })}>{t('delay.workingDays')}</Checkbox>
    </>
  );
}

function WaitUntilEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  return (
    <>
      <Row label={t('wait.until')} problems={problems} path="/until">
        <ExprInput value={str(node.until)} onChange={(until) => set({ until })} placeholder="DATEADD(due_on, -1, 'day')" />
      </Row>
      <Row label={t('wait.at')} problems={problems} path="/at">
        <Input value={str(node.at) ?? ''} placeholder="09:00" onChange={(e) => set({ at: orUndefined(e.target.value) })} />
      </Row>
      <Row label={t('wait.condition')} problems={problems} path="/condition">
        <ExprInput value={str(node.condition)} onChange={(condition) => set({ condition })} expect="bool" />
      </Row>
      <Row label={t('wait.timeout')} problems={problems} path="/timeout">
        <DurationInput value={str(node.timeout)} onChange={(timeout) => set({ timeout })} />
      </Row>
    </>
  );
}

// ---- records -------------------------------------------------------------------------------------------------------

function useVariables(type?: string) {
  const { flow } = useFlowContext();
  return (flow.variables ?? []).filter((v) => !type || v.type === type).map((v) => ({ value: v.key, label: v.label ? `${v.label} (${v.key})` : v.key }));
}

function FormSelect({ value, onChange, testId, allowClear }: { value: string | undefined; onChange: (next: string | undefined) => void; testId?: string; allowClear?: boolean }) {
  const { app } = useFlowContext();
  return <Select value={value || undefined} onChange={onChange} allowClear={allowClear} data-testid={testId} style={{ width: '100%' }}
    showSearch={{ optionFilterProp: 'label' }} options={app.forms.map((f) => ({ value: f.key, label: `${f.name} (${f.key})` }))} />;
}

function fieldOptions(form: ReturnType<typeof formOf>) {
  return writableFields(form).map((f) => ({ value: f.key, label: f.label ? `${f.label} (${f.key})` : f.key }));
}

function CreateRecordEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  const { app } = useFlowContext();
  const numbers = useVariables('number');
  return (
    <>
      <Row label={t('record.form')} problems={problems} path="/form">
        <FormSelect value={str(node.form)} onChange={(form) => set({ form, values: {} })} testId="flow-record-form" />
      </Row>
      <Row label={t('record.values')} problems={problems} path="/values">
        <MappingRows value={node.values as Record<string, string>} onChange={(values) => set({ values })} path="/values" problems={problems}
          keyOptions={fieldOptions(formOf(app, str(node.form)))} testId="flow-record-values" />
      </Row>
      <Row label={t('record.into')} problems={problems} path="/into">
        <Select value={str(node.into)} allowClear options={numbers} onChange={(into) => set({ into })} style={{ width: '100%' }} />
      </Row>
    </>
  );
}

/** Which record a write goes to: this flow's, one a relation field links, or an id an expression gives. */
function TargetEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  const { triggerForm } = useFlowContext();
  const relations = (triggerForm?.fields ?? []).filter((f) => f.type === 'relation');
  const choice = str(node.target) ? `target:${node.target}` : node.record !== undefined ? 'record' : 'self';
  const choose = (next: string) => {
    if (next === 'self') set({ target: undefined, record: undefined, form: undefined });
    else if (next === 'record') set({ target: undefined, record: '', form: undefined });
    else set({ target: next.slice('target:'.length), record: undefined, form: undefined });
  };
  return (
    <>
      <Row label={t('record.target')} problems={problems} path="/target">
        <Select value={choice} onChange={choose} style={{ width: '100%' }} options={[
          { value: 'self', label: t('record.thisRecord') },
          ...relations.map((f) => ({ value: `target:${f.key}`, label: t('record.viaRelation', { label: f.label ?? f.key }) })),
          { value: 'record', label: t('record.byExpr') },
        ]} />
      </Row>
      {choice === 'record' ? (
        <>
          <Row label={t('record.recordExpr')} problems={problems} path="/record">
            <ExprInput value={str(node.record)} onChange={(record) => set({ record: record ?? '' })} placeholder="new_id" />
          </Row>
          <Row label={t('record.form')} problems={problems} path="/form">
            <FormSelect value={str(node.form)} onChange={(form) => set({ form })} />
          </Row>
        </>
      ) : null}
    </>
  );
}

function UpdateRecordEditor(props: NodeEditorProps) {
  const t = useFlowText();
  const { app, flow } = useFlowContext();
  const { node, set, problems } = props;
  const form = formOf(app, writeTargetForm(app, flow, node));
  return (
    <>
      <TargetEditor {...props} />
      <Row label={t('record.set')} problems={problems} path="/set">
        <MappingRows value={node.set as Record<string, string>} onChange={(next) => set({ set: next })} path="/set" problems={problems}
          keyOptions={fieldOptions(form)} testId="flow-record-set" />
      </Row>
    </>
  );
}

function SetVariableEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  const variables = useVariables();
  return (
    <Row label={t('setvar.set')} problems={problems} path="/set">
      <MappingRows value={node.set as Record<string, string>} onChange={(next) => set({ set: next })} path="/set" problems={problems}
        keyOptions={variables} />
    </Row>
  );
}

const STRATEGIES = ['first', 'round_robin', 'least_loaded', 'random'] as const;

function AssignEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  const { triggerForm } = useFlowContext();
  return (
    <>
      <Row label={t('assign.to')} problems={problems} path="/to">
        <AssigneesEditor value={node.to} onChange={(to) => set({ to })} />
      </Row>
      <Row label={t('assign.field')} problems={problems} path="/field">
        <Select value={str(node.field) ?? 'owner'} onChange={(field) => set({ field })} style={{ width: '100%' }}
          options={memberFields(triggerForm).filter((f) => f.key !== 'created_by' && f.key !== 'updated_by').map((f) => ({ value: f.key, label: f.label }))} />
      </Row>
      <Row label={t('assign.strategy')} problems={problems} path="/strategy">
        <ChoiceSelect value={(str(node.strategy) ?? 'first') as (typeof STRATEGIES)[number]} options={STRATEGIES}
          onChange={(strategy) => set({ strategy })} label={(k) => t(`strategy.${k}`)} />
      </Row>
    </>
  );
}

function PrintDocumentEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  const { app, triggerForm } = useFlowContext();
  const templates = ((app.print_templates as { key: string; name?: string }[] | undefined) ?? []);
  return (
    <>
      <Row label={t('print.template')} problems={problems} path="/template">
        <Select value={str(node.template)} onChange={(template) => set({ template })} style={{ width: '100%' }}
          options={templates.map((p) => ({ value: p.key, label: p.name ? `${p.name} (${p.key})` : p.key }))} />
      </Row>
      <Row label={t('print.attachTo')} problems={problems} path="/attach_to">
        <FieldSelect form={triggerForm} value={str(node.attach_to)} filter={(f) => f.type === 'attachment'}
          onChange={(attach_to: string | undefined) => set({ attach_to })} />
      </Row>
    </>
  );
}

// ---- control -------------------------------------------------------------------------------------------------------

function SubflowEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  const { app, flow } = useFlowContext();
  const flows = (app.flows ?? []).filter((f) => f.key !== flow.key);
  return (
    <>
      <Row label={t('subflow.flow')} problems={problems} path="/flow">
        <Select value={str(node.flow)} onChange={(next) => set({ flow: next })} style={{ width: '100%' }}
          options={flows.map((f) => ({ value: f.key, label: f.name ? `${f.name} (${f.key})` : f.key }))} />
      </Row>
      <Space orientation="vertical" style={{ marginBottom: 12 }}>
        <Checkbox checked={bool(node.wait, true)} onChange={(e) => set({ wait: e.target.checked })}>{t('subflow.wait')}</Checkbox>
        <Checkbox checked={bool(node.same_record, true)} onChange={(e) => set({ same_record: e.target.checked })}>{t('subflow.sameRecord')}</Checkbox>
      </Space>
      <Row label={t('subflow.inputs')} problems={problems} path="/inputs">
        <MappingRows value={node.inputs as Record<string, string>} path="/inputs" problems={problems}
          onChange={(inputs) => set({ inputs: Object.keys(inputs).length ? inputs : undefined })} />
      </Row>
    </>
  );
}

const TERMINATE_STATUSES = ['completed', 'rejected', 'cancelled'] as const;

function TerminateEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  return (
    <Row label={t('terminate.status')} problems={problems} path="/status">
      <ChoiceSelect value={(str(node.status) ?? 'completed') as (typeof TERMINATE_STATUSES)[number]} options={TERMINATE_STATUSES}
        onChange={(status) => set({ status })} label={(k) => t(`status.${k}`)} />
    </Row>
  );
}

// ---- integration ---------------------------------------------------------------------------------------------------

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function HttpRequestEditor({ node, set, problems }: NodeEditorProps) {
  const t = useFlowText();
  const { app } = useFlowContext();
  const connectors = ((app.connectors as { key: string; name?: string }[] | undefined) ?? []);
  const texts = useVariables('text');
  return (
    <>
      <Row label={t('http.method')} problems={problems} path="/method">
        <ChoiceSelect value={(str(node.method) ?? 'POST') as (typeof METHODS)[number]} options={METHODS} onChange={(method) => set({ method })} label={(k) => k} />
      </Row>
      {connectors.length ? (
        <Row label={t('http.connector')} problems={problems} path="/connector">
          <Select value={str(node.connector)} allowClear onChange={(connector) => set({ connector, ...(connector ? {} : { operation: undefined }) })}
            style={{ width: '100%' }} options={connectors.map((c) => ({ value: c.key, label: c.name ?? c.key }))} />
        </Row>
      ) : null}
      {str(node.connector) ? (
        <Row label={t('http.operation')} problems={problems} path="/operation">
          <Input value={str(node.operation) ?? ''} onChange={(e) => set({ operation: orUndefined(e.target.value) })} />
        </Row>
      ) : (
        <Row label={t('http.url')} problems={problems} path="/url">
          <Input value={str(node.url) ?? ''} onChange={(e) => set({ url: orUndefined(e.target.value) })} placeholder="https://" />
        </Row>
      )}
      <Row label={t('http.headers')} problems={problems} path="/headers">
        <MappingRows value={node.headers as Record<string, string>} path="/headers" problems={problems} valueIsText
          onChange={(headers) => set({ headers: Object.keys(headers).length ? headers : undefined })} />
      </Row>
      <Row label={t('http.body')} problems={problems} path="/body">
        <Input.TextArea value={str(node.body) ?? ''} autoSize={{ minRows: 2, maxRows: 10 }} style={{ fontFamily: 'monospace' }}
          onChange={(e) => set({ body: orUndefined(e.target.value) })} />
      </Row>
      <Row label={t('http.timeout')} problems={problems} path="/timeout_seconds">
        <InputNumber min={1} max={120} value={typeof node.timeout_seconds === 'number' ? node.timeout_seconds : 10}
          onChange={(v) => set({ timeout_seconds: v ?? undefined })} />
      </Row>
      <Space style={{ marginBottom: 12 }}>
        <Switch size="small" checked={!!node.wait} onChange={(wait) => set({ wait, ...(wait ? {} : { into: undefined }) })} />
        {t('http.wait')}
      </Space>
      {node.wait ? (
        <Row label={t('http.into')} problems={problems} path="/into">
          <Select value={str(node.into)} allowClear options={texts} onChange={(into) => set({ into })} style={{ width: '100%' }} />
        </Row>
      ) : null}
    </>
  );
}

function NoProperties() {
  const t = useFlowText();
  return <Typography.Text type="secondary">{t('panel.noProps')}</Typography.Text>;
}

/** Node type → its editor. Types not listed (query_records, aggregate, loop, webhook_response, unknown) get JSON. */
export const NODE_EDITORS: Record<string, ComponentType<NodeEditorProps>> = {
  start: NoProperties,
  end: NoProperties,
  parallel: NoProperties,
  join: NoProperties,
  merge: NoProperties,
  approval: ApprovalEditor,
  fill_in: FillInEditor,
  cc: NotifyEditor,
  notify: NotifyEditor,
  condition: BranchesEditor,
  inclusive: BranchesEditor,
  delay: DelayEditor,
  wait_until: WaitUntilEditor,
  create_record: CreateRecordEditor,
  update_record: UpdateRecordEditor,
  delete_record: TargetEditor,
  set_variable: SetVariableEditor,
  assign: AssignEditor,
  print_document: PrintDocumentEditor,
  subflow: SubflowEditor,
  terminate: TerminateEditor,
  http_request: HttpRequestEditor,
};

export function editorFor(type: string): ComponentType<NodeEditorProps> | undefined {
  const info = nodeTypeInfo(type);
  return info ? NODE_EDITORS[info.key] : undefined;
}
