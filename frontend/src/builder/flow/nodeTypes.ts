/**
 * Every node type the engine registers (engines/flow/nodes), as the palette and the canvas need them: category,
 * the outcomes an outgoing edge may name, and a new node that names what the type requires. A test
 * (tests/engines/flow/test_nodes.py) keeps the keys and outcomes equal to the engine's.
 */
import type { AppDraft } from '../types';
import type { FlowDef, FlowNode } from './model';

export type NodeCategory = 'control' | 'human' | 'gateway' | 'timer' | 'data' | 'message' | 'integration';

export interface NodeTypeInfo {
  key: string;
  category: NodeCategory;
  /** Outcomes an outgoing edge may name (the first is what a plain edge stands for). */
  outcomes: string[];
  /** No outgoing edges (end, terminate). */
  terminal?: boolean;
  /** Outgoing edges carry conditions (condition, inclusive). */
  branching?: boolean;
  /** The properties a new node of this type starts with, besides id and type. */
  blank?: (ctx: { app: AppDraft; flow: FlowDef }) => Record<string, unknown>;
}

const firstRole = (app: AppDraft) => (app.roles?.[0]?.key ? { role: app.roles[0].key } : { manager: { levels: 1 } });

export const NODE_TYPES: NodeTypeInfo[] = [
  { key: 'start', category: 'control', outcomes: [] },
  { key: 'end', category: 'control', outcomes: [], terminal: true },
  { key: 'approval', category: 'human', outcomes: ['approved', 'rejected'],
    blank: ({ app }) => ({ assignees: [firstRole(app)], mode: 'or_sign' }) },
  { key: 'fill_in', category: 'human', outcomes: ['submitted', 'rejected'],
    blank: ({ app, flow }) => {
      const first = app.forms.find((form) => form.key === flow.trigger.form)?.fields[0];
      return { assignees: [{ initiator: true }], fields: first ? [{ field: first.key }] : [] };
    } },
  { key: 'cc', category: 'message', outcomes: [],
    blank: () => ({ to: [{ initiator: true }] }) },
  { key: 'notify', category: 'message', outcomes: [],
    blank: () => ({ to: [{ initiator: true }], template: '{{ instance.flow }}' }) },
  { key: 'condition', category: 'gateway', outcomes: [], branching: true },
  { key: 'parallel', category: 'gateway', outcomes: [] },
  { key: 'inclusive', category: 'gateway', outcomes: [], branching: true },
  { key: 'join', category: 'gateway', outcomes: [] },
  { key: 'merge', category: 'gateway', outcomes: [] },
  { key: 'delay', category: 'timer', outcomes: [],
    blank: () => ({ duration: 'P1D' }) },
  { key: 'wait_until', category: 'timer', outcomes: ['reached', 'timeout'] },
  { key: 'create_record', category: 'data', outcomes: [],
    blank: ({ app, flow }) => ({ form: flow.trigger.form ?? app.forms[0]?.key ?? '', values: {} }) },
  { key: 'update_record', category: 'data', outcomes: [],
    blank: () => ({ set: {} }) },
  { key: 'delete_record', category: 'data', outcomes: [] },
  { key: 'query_records', category: 'data', outcomes: [],
    blank: ({ app, flow }) => ({ form: flow.trigger.form ?? app.forms[0]?.key ?? '' }) },
  { key: 'aggregate', category: 'data', outcomes: [],
    blank: ({ app, flow }) => ({ form: flow.trigger.form ?? app.forms[0]?.key ?? '', agg: 'count' }) },
  { key: 'set_variable', category: 'data', outcomes: [],
    blank: () => ({ set: {} }) },
  { key: 'assign', category: 'data', outcomes: [],
    blank: ({ app }) => ({ to: [firstRole(app)], field: 'owner', strategy: 'first' }) },
  { key: 'print_document', category: 'data', outcomes: [],
    blank: ({ app }) => {
      const templates = (app.print_templates as { key: string }[] | undefined) ?? [];
      return templates[0] ? { template: templates[0].key } : {};
    } },
  { key: 'loop', category: 'control', outcomes: ['each', 'done'] },
  { key: 'subflow', category: 'control',
    outcomes: ['completed', 'rejected', 'withdrawn', 'cancelled', 'failed'],
    blank: ({ app, flow }) => {
      const other = (app.flows ?? []).find((f) => f.key !== flow.key);
      return other ? { flow: other.key } : {};
    } },
  { key: 'terminate', category: 'control', outcomes: [], terminal: true,
    blank: () => ({ status: 'completed' }) },
  { key: 'http_request', category: 'integration',
    outcomes: ['succeeded', 'failed'], blank: () => ({ method: 'POST', url: 'https://' }) },
  { key: 'webhook_response', category: 'integration', outcomes: [],
    blank: () => ({ status: 200 }) },
];

/** Names builders also write; read as the registered key (nodes/__init__.py ALIASES). */
export const NODE_ALIASES: Record<string, string> = {
  assign_owner: 'assign', sub_flow: 'subflow', exclusive: 'condition', fork: 'parallel',
};

const BY_KEY = new Map(NODE_TYPES.map((info) => [info.key, info]));

export function nodeTypeInfo(type: string): NodeTypeInfo | undefined {
  return BY_KEY.get(NODE_ALIASES[type] ?? type);
}

export const CATEGORY_ORDER: NodeCategory[] = ['human', 'message', 'gateway', 'data', 'timer', 'integration', 'control'];

export const CATEGORY_COLOUR: Record<NodeCategory, string> = {
  control: '#595959',
  human: '#fa8c16',
  gateway: '#722ed1',
  timer: '#13c2c2',
  data: '#1677ff',
  message: '#52c41a',
  integration: '#eb2f96',
};

/** A new node of `type` with an id not used in the flow (`approval_2`). */
export function newNode(type: string, ctx: { app: AppDraft; flow: FlowDef }, position?: { x: number; y: number }): FlowNode {
  const taken = new Set(ctx.flow.nodes.map((node) => node.id));
  let n = 1;
  while (taken.has(`${type}_${n}`)) n += 1;
  const blank = nodeTypeInfo(type)?.blank?.(ctx) ?? {};
  return { id: `${type}_${n}`, type, ...blank, ...(position ? { position: { x: Math.round(position.x), y: Math.round(position.y) } } : {}) };
}
