/** The right-hand panel: the selected node's properties, the selected edge's, or the flow's and its trigger's. */
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Checkbox, Divider, Form, Input, InputNumber, Select, Space, Switch, Tabs, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { JsonDesigner } from '../JsonDesigner';
import type { Problem } from '../types';
import { useFlowContext } from './context';
import { placeProblems } from './convert';
import { compact, formOf, type FlowDef, type FlowEdge, type FlowNode, type FlowTrigger, type FlowVariable } from './model';
import { editorFor } from './nodeEditors';
import { nodeTypeInfo } from './nodeTypes';
import { nodeTypeLabel } from './summary';
import { useFlowText } from './text';
import { ExprInput, FieldSelect, ProblemList, Row } from './widgets';
import { clauseSeparator } from '../text';

const KNOWN_OUTCOMES = new Set(['approved', 'rejected', 'submitted', 'reached', 'timeout', 'each', 'done', 'succeeded', 'failed', 'completed', 'withdrawn', 'cancelled']);
const NODE_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** The node's id: edited as text, applied (edges follow) only when it is well-formed and not taken. */
function NodeIdInput({ node, onRename }: { node: FlowNode; onRename: (id: string) => void }) {
  const t = useFlowText();
  const { flow } = useFlowContext();
  const [text, setText] = useState(node.id);
  useEffect(() => {
    setText(node.id);
  }, [node.id]);
  const ok = text === node.id || (NODE_ID.test(text) && !flow.nodes.some((n) => n.id === text));
  const rename = () => (text !== node.id ? onRename(text) : undefined);
  return (
    <Row label={t('node.id')}>
      <Input value={text} status={ok ? undefined : 'error'} data-testid="flow-node-id" spellCheck={false}
        onChange={(e) => setText(e.target.value)} onBlur={() => (ok ? rename() : setText(node.id))}
        onPressEnter={() => ok && rename()} />
      {ok ? null : <Typography.Text type="danger" style={{ fontSize: 12 }}>{t('node.idTaken')}</Typography.Text>}
    </Row>
  );
}

/** JSON of one node; the id stays what the panel says (renaming goes through the id input, so edges follow). */
function NodeJson({ node, onChange, problems }: { node: FlowNode; onChange: (next: FlowNode) => void; problems: Problem[] }) {
  const { appKey, app } = useFlowContext();
  const { id, ...rest } = node;
  return (
    <JsonDesigner appKey={appKey} app={app} problems={problems} value={{ key: id, ...rest }}
      onChange={(next) => {
        const { key: _key, ...props } = next;
        onChange({ ...(props as Omit<FlowNode, 'id'>), id } as FlowNode);
      }} />
  );
}

export function NodePanel({ node, index, problems, onChange }: {
  node: FlowNode; index: number; problems: Problem[]; onChange: (next: FlowNode) => void;
}) {
  const t = useFlowText();
  const { lang } = useFlowContext();
  const Editor = editorFor(node.type);
  const set = (patch: Record<string, unknown>) => onChange(compact({ ...node, ...patch }) as FlowNode);
  const props = Editor ? <Editor node={node} index={index} set={set} problems={problems} /> : <NodeJson node={node} onChange={onChange} problems={problems} />;
  return (
    <div data-testid="flow-node-panel" data-node={node.id}>
      <Space style={{ marginBottom: 8 }}>
        <Tag color={nodeTypeInfo(node.type) ? 'blue' : 'red'}>{nodeTypeInfo(node.type) ? nodeTypeLabel(node.type, lang) : t('node.unknown', { type: node.type })}</Tag>
      </Space>
      <ProblemList problems={problems} title={t('panel.problems')} />
      <NodeIdInput node={node} onRename={(id) => onChange({ ...node, id })} />
      <Row label={t('node.name')} problems={problems} path="/name">
        <Input value={node.name ?? ''} data-testid="flow-node-name" placeholder={nodeTypeLabel(node.type, lang)}
          onChange={(e) => set({ name: e.target.value === '' ? undefined : e.target.value })} />
      </Row>
      <Row label={t('node.description')} problems={problems} path="/description">
        <Input.TextArea value={node.description ?? ''} autoSize={{ minRows: 1, maxRows: 4 }}
          onChange={(e) => set({ description: e.target.value === '' ? undefined : e.target.value })} />
      </Row>
      {Editor ? (
        <Tabs size="small" items={[
          { key: 'props', label: t('panel.props'), children: props },
          { key: 'json', label: t('panel.json'), children: <NodeJson node={node} onChange={onChange} problems={problems} /> },
        ]} />
      ) : props}
    </div>
  );
}

export function EdgePanel({ edge, index, problems, onChange, onDelete }: {
  edge: FlowEdge; index: number; problems: Problem[]; onChange: (next: FlowEdge) => void; onDelete: () => void;
}) {
  const t = useFlowText();
  const { flow } = useFlowContext();
  const source = flow.nodes.find((node) => node.id === edge.from);
  const info = source ? nodeTypeInfo(source.type) : undefined;
  const outcomes = info?.outcomes ?? [];
  const name = (id: string) => flow.nodes.find((n) => n.id === id)?.name || id;
  const set = (patch: Partial<FlowEdge>) => onChange(compact({ ...edge, ...patch }));
  const outcomeLabel = (o: string) => (KNOWN_OUTCOMES.has(o) ? t(`outcome.${o}` as 'outcome.approved') : o);
  return (
    <div data-testid="flow-edge-panel" data-edge={index}>
      <Typography.Paragraph>{t('edge.from', { from: name(edge.from), to: name(edge.to) })}</Typography.Paragraph>
      <ProblemList problems={problems} title={t('panel.problems')} />
      {outcomes.length || edge.outcome ? (
        <Row label={t('edge.outcome')} problems={problems} path="/outcome">
          <Select value={edge.outcome ?? ''} style={{ width: '100%' }} data-testid="flow-edge-outcome"
            onChange={(outcome: string) => set({ outcome: outcome || undefined })}
            options={[
              { value: '', label: outcomes[0] ? t('edge.outcomePlain', { outcome: outcomeLabel(outcomes[0]) }) : t('common.none') },
              ...[...new Set([...outcomes, ...(edge.outcome ? [edge.outcome] : [])])].map((o) => ({ value: o, label: outcomeLabel(o) })),
            ]} />
        </Row>
      ) : null}
      {info?.branching || edge.condition !== undefined || edge.default ? (
        <>
          <Row label={t('edge.condition')} problems={problems} path="/condition">
            <ExprInput value={edge.condition} onChange={(condition) => set({ condition })} testId="flow-edge-condition" expect="bool" />
          </Row>
          <Row label="" problems={problems} path="/default">
            <Checkbox checked={!!edge.default} data-testid="flow-edge-default"
              onChange={(e) => set({ default: e.target.checked || undefined })}>{t('edge.default')}</Checkbox>
          </Row>
        </>
      ) : null}
      <Row label={t('edge.label')} problems={problems} path="/label">
        <Input value={edge.label ?? ''} onChange={(e) => set({ label: e.target.value || undefined })} />
      </Row>
      <Button danger icon={<DeleteOutlined />} onClick={onDelete} data-testid="flow-edge-delete">{t('common.delete')}</Button>
    </div>
  );
}

// ---- the flow and its trigger -----------------------------------------------------------------------------------------

const TRIGGER_TYPES = ['record_created', 'record_updated', 'schedule', 'date_field', 'manual', 'webhook'] as const;
type TriggerType = (typeof TRIGGER_TYPES)[number];
const WITH_CONDITION = new Set<string>(['record_created', 'record_updated', 'schedule', 'date_field']);
const FORM_OPTIONAL = new Set<string>(['schedule', 'manual', 'webhook']);
const DATE_TYPES = new Set(['date', 'datetime', 'created_at', 'updated_at']);

/** A trigger of another type keeps what both types know (form, condition) and gets what the new one needs. */
export function switchTrigger(trigger: FlowTrigger, type: TriggerType, firstForm: string | undefined): FlowTrigger {
  const form = trigger.form ?? (FORM_OPTIONAL.has(type) ? undefined : firstForm);
  const next: FlowTrigger = compact({ type, form, condition: WITH_CONDITION.has(type) ? trigger.condition : undefined });
  if (type === 'schedule') next.cron = typeof trigger.cron === 'string' ? trigger.cron : '0 9 * * *';
  if (type === 'date_field') next.field = typeof trigger.field === 'string' ? trigger.field : '';
  return next;
}

/** "-P3D" ↔ -3 (whole days: the engine refuses anything else for a date trigger). */
const offsetDays = (offset: unknown): number | undefined => {
  const match = /^(-)?P(\d+)D$/.exec(typeof offset === 'string' ? offset : 'P0D');
  return match ? (match[1] ? -1 : 1) * Number(match[2]) : undefined;
};

function TriggerEditor({ trigger, onChange, problems }: { trigger: FlowTrigger; onChange: (next: FlowTrigger) => void; problems: Problem[] }) {
  const t = useFlowText();
  const { app } = useFlowContext();
  const type = trigger.type as TriggerType;
  const form = formOf(app, trigger.form);
  const set = (patch: Record<string, unknown>) => onChange(compact({ ...trigger, ...patch }));
  return (
    <div data-testid="flow-trigger">
      <Row label={t('trigger.type')} problems={problems} path="/type">
        <Select value={type} style={{ width: '100%' }} data-testid="flow-trigger-type"
          onChange={(next: TriggerType) => onChange(switchTrigger(trigger, next, app.forms[0]?.key))}
          options={TRIGGER_TYPES.map((k) => ({ value: k, label: t(`triggerType.${k}`) }))} />
      </Row>
      <Row label={t('trigger.form')} problems={problems} path="/form">
        <Select value={trigger.form || undefined} allowClear={FORM_OPTIONAL.has(type)} style={{ width: '100%' }} data-testid="flow-trigger-form"
          showSearch={{ optionFilterProp: 'label' }}
          onChange={(next: string | undefined) => set({ form: next, ...(type === 'record_updated' ? { fields: undefined } : {}), ...(type === 'date_field' ? { field: '' } : {}) })}
          options={app.forms.map((f) => ({ value: f.key, label: `${f.name} (${f.key})` }))} />
      </Row>
      {type === 'record_updated' ? (
        <Row label={t('trigger.fields')} problems={problems} path="/fields">
          <FieldSelect form={form} multiple value={(trigger.fields as string[]) ?? []} placeholder={t('trigger.anyField')}
            onChange={(fields: string[]) => set({ fields: fields.length ? fields : undefined })} />
        </Row>
      ) : null}
      {type === 'schedule' ? (
        <Row label={t('trigger.cron')} problems={problems} path="/cron" extra={t('trigger.cronHint')}>
          <Input value={String(trigger.cron ?? '')} style={{ fontFamily: 'monospace' }} onChange={(e) => set({ cron: e.target.value })} />
        </Row>
      ) : null}
      {type === 'date_field' ? (
        <>
          <Row label={t('trigger.field')} problems={problems} path="/field">
            <FieldSelect form={form} value={String(trigger.field ?? '') || undefined} filter={(f) => DATE_TYPES.has(f.type)} allowClear={false}
              onChange={(field: string) => set({ field })} />
          </Row>
          <Space wrap>
            <Row label={t('trigger.offset')} problems={problems} path="/offset">
              <InputNumber value={offsetDays(trigger.offset)} onChange={(days) => {
                const n = Number(days) || 0;
                set({ offset: n === 0 ? undefined : `${n < 0 ? '-' : ''}P${Math.abs(n)}D` });
              }} />
            </Row>
            <Row label={t('trigger.at')} problems={problems} path="/at">
              <Input value={String(trigger.at ?? '09:00')} style={{ width: 90 }} onChange={(e) => set({ at: e.target.value })} />
            </Row>
          </Space>
          <Checkbox checked={!!trigger.yearly} onChange={(e) => set({ yearly: e.target.checked || undefined })} style={{ marginBottom: 12 }}>
            {t('trigger.yearly')}
          </Checkbox>
        </>
      ) : null}
      {type === 'manual' ? (
        <>
          <Row label={t('trigger.label')} problems={problems} path="/label">
            <Input value={String(trigger.label ?? '')} onChange={(e) => set({ label: e.target.value || undefined })} />
          </Row>
          <Row label={t('trigger.roles')} problems={problems} path="/roles">
            <Select mode="multiple" value={(trigger.roles as string[]) ?? []} placeholder={t('trigger.allRoles')} style={{ width: '100%' }}
              onChange={(roles: string[]) => set({ roles: roles.length ? roles : undefined })}
              options={(app.roles ?? []).map((r) => ({ value: r.key, label: r.name ?? r.key }))} />
          </Row>
        </>
      ) : null}
      {WITH_CONDITION.has(type) ? (
        <Row label={t('trigger.condition')} problems={problems} path="/condition">
          <ExprInput value={trigger.condition} onChange={(condition) => set({ condition })} testId="flow-trigger-condition" expect="bool" />
        </Row>
      ) : null}
    </div>
  );
}

const VARIABLE_TYPES = ['number', 'text', 'bool', 'date', 'datetime', 'member', 'record', 'records'] as const;

function VariablesEditor({ value, onChange, problems }: { value: FlowVariable[]; onChange: (next: FlowVariable[] | undefined) => void; problems: Problem[] }) {
  const t = useFlowText();
  const { app } = useFlowContext();
  const write = (next: FlowVariable[]) => onChange(next.length ? next : undefined);
  const edit = (i: number, patch: Partial<FlowVariable>) => write(value.map((v, j) => (j === i ? compact({ ...v, ...patch }) : v)));
  return (
    <div data-testid="flow-variables">
      {value.map((variable, i) => {
        const bad = problems.filter((p) => p.path.startsWith(`/variables/${i}`));
        return (
          <div key={i} style={{ marginBottom: 6 }}>
            <Space.Compact style={{ width: '100%' }}>
              <Input value={variable.key} placeholder={t('variables.key')} style={{ width: 110 }} status={bad.length ? 'error' : undefined}
                onChange={(e) => edit(i, { key: e.target.value })} />
              <Select value={variable.type} style={{ width: 100 }} options={VARIABLE_TYPES.map((k) => ({ value: k, label: k }))}
                onChange={(type: string) => edit(i, { type, form: type === 'record' || type === 'records' ? variable.form ?? app.forms[0]?.key : undefined })} />
              {variable.type === 'record' || variable.type === 'records' ? (
                <Select value={variable.form} style={{ width: 110 }} options={app.forms.map((f) => ({ value: f.key, label: f.name }))}
                  onChange={(form: string) => edit(i, { form })} />
              ) : null}
              <Input value={variable.label ?? ''} placeholder={t('variables.label')} onChange={(e) => edit(i, { label: e.target.value || undefined })} />
              <Button icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => write(value.filter((_, j) => j !== i))} />
            </Space.Compact>
            {bad.length ? <Typography.Text type="danger" style={{ fontSize: 12 }}>{bad.map((p) => p.message).join(clauseSeparator())}</Typography.Text> : null}
          </div>
        );
      })}
      <Button size="small" icon={<PlusOutlined />} onClick={() => write([...value, { key: `var_${value.length + 1}`, type: 'number' }])}>
        {t('variables.add')}
      </Button>
    </div>
  );
}

/** Every problem of the flow, each a link to the node or edge it is on. */
function AllProblems({ problems, onPick }: { problems: Problem[]; onPick: (place: { node?: number; edge?: number }) => void }) {
  const t = useFlowText();
  const { flow } = useFlowContext();
  if (!problems.length) return null;
  const placed = placeProblems(problems);
  const items = [
    ...[...placed.nodes].flatMap(([index, list]) => list.map((p) => ({ where: flow.nodes[index]?.name || flow.nodes[index]?.id || `#${index}`, p, pick: { node: index } }))),
    ...[...placed.edges].flatMap(([index, list]) => list.map((p) => ({ where: `${flow.edges[index]?.from ?? '?'} → ${flow.edges[index]?.to ?? '?'}`, p, pick: { edge: index } }))),
    ...placed.trigger.map((p) => ({ where: t('trigger.title'), p, pick: {} })),
    ...placed.flow.map((p) => ({ where: p.path, p: { ...p, path: '/' }, pick: {} })),
  ];
  return (
    <div data-testid="flow-all-problems" style={{ marginBottom: 12 }}>
      <Typography.Text strong type="danger">{t('panel.flowProblems')}</Typography.Text>
      <ul style={{ paddingInlineStart: 18, margin: '4px 0' }}>
        {items.map(({ where, p, pick }, i) => (
          <li key={i}>
            <a onClick={() => onPick(pick)}>{where}</a>
            {p.path !== '/' ? <code style={{ margin: '0 4px' }}>{p.path}</code> : ' '}
            {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function FlowPanel({ flow, problems, onChange, onPick }: {
  flow: FlowDef; problems: Problem[]; onChange: (next: FlowDef) => void; onPick: (place: { node?: number; edge?: number }) => void;
}) {
  const t = useFlowText();
  const placed = placeProblems(problems);
  const set = (patch: Partial<FlowDef>) => onChange(compact({ ...flow, ...patch }));
  return (
    <div data-testid="flow-settings-panel">
      <AllProblems problems={problems} onPick={onPick} />
      <Typography.Title level={5} style={{ marginTop: 0 }}>{t('trigger.title')}</Typography.Title>
      <TriggerEditor trigger={flow.trigger} onChange={(trigger) => set({ trigger })} problems={placed.trigger} />
      <Divider style={{ margin: '12px 0' }} />
      <Row label={t('flow.name')} problems={placed.flow} path="/name">
        <Input value={flow.name} onChange={(e) => set({ name: e.target.value })} data-testid="flow-name" />
      </Row>
      <Row label={t('flow.description')} problems={placed.flow} path="/description">
        <Input.TextArea value={flow.description ?? ''} autoSize={{ minRows: 1, maxRows: 4 }} onChange={(e) => set({ description: e.target.value || undefined })} />
      </Row>
      <Space wrap style={{ marginBottom: 12 }}>
        <Switch size="small" checked={flow.enabled ?? true} onChange={(enabled) => set({ enabled })} />
        {t('flow.enabled')}
      </Space>
      <Row label={t('flow.withdraw')} problems={placed.flow} path="/withdraw">
        <Select value={flow.withdraw ?? 'before_action'} style={{ width: '100%' }} onChange={(withdraw) => set({ withdraw })}
          options={(['before_action', 'anytime', 'never'] as const).map((k) => ({ value: k, label: t(`withdraw.${k}`) }))} />
      </Row>
      <Form.Item label={t('variables.title')} style={{ marginBottom: 12 }}>
        <VariablesEditor value={flow.variables ?? []} onChange={(variables) => set({ variables })} problems={placed.flow} />
      </Form.Item>
    </div>
  );
}
