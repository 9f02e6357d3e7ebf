/**
 * The FLOW section's shapes as the designer reads and writes them (engines/flow: definition.py, nodes/*, triggers.py,
 * assignees.py). Only keys the format knows are ever written; what the designer does not edit is carried through.
 */
import type { AppDraft, FieldDef, FormDef, Item } from '../types';

export interface Position {
  x: number;
  y: number;
}

/** One way of naming people: exactly one key (assignees.py AssigneeSpec). */
export interface AssigneeSpec {
  user?: number;
  users?: number[];
  role?: string;
  department_head?: { levels?: number };
  manager?: { levels?: number };
  field?: string;
  initiator?: boolean;
}

export interface FlowNode {
  id: string;
  type: string;
  name?: string;
  description?: string;
  position?: Position;
  [property: string]: unknown;
}

export interface FlowEdge {
  from: string;
  to: string;
  condition?: string;
  default?: boolean;
  outcome?: string;
  label?: string;
}

export interface FlowTrigger {
  type: string;
  form?: string;
  condition?: string;
  [property: string]: unknown;
}

export interface FlowVariable {
  key: string;
  type: string;
  form?: string;
  label?: string;
  default?: unknown;
}

export interface FlowDef extends Item {
  key: string;
  name: string;
  description?: string;
  enabled?: boolean;
  trigger: FlowTrigger;
  variables?: FlowVariable[];
  nodes: FlowNode[];
  edges: FlowEdge[];
  withdraw?: 'before_action' | 'anytime' | 'never';
}

/** `{"role": "x"}` and `[{"role": "x"}]` both mean a list (the engine reads a single spec as a list of one). */
export function specList(value: unknown): AssigneeSpec[] {
  if (Array.isArray(value)) return value as AssigneeSpec[];
  if (value && typeof value === 'object') return [value as AssigneeSpec];
  return [];
}

export const ASSIGNEE_KINDS = ['role', 'department_head', 'manager', 'field', 'initiator', 'user', 'users'] as const;
export type AssigneeKind = (typeof ASSIGNEE_KINDS)[number];

export function assigneeKind(spec: AssigneeSpec): AssigneeKind | undefined {
  return ASSIGNEE_KINDS.find((kind) => spec[kind] !== undefined && spec[kind] !== null && spec[kind] !== false);
}

export function formOf(app: AppDraft, key: string | undefined): FormDef | undefined {
  return key ? app.forms.find((form) => form.key === key) : undefined;
}

/** Member fields a spec's `field` may name: the form's member / creator fields and the record's owner. */
const MEMBER_TYPES = new Set(['member', 'created_by', 'updated_by']);
const SYSTEM_MEMBER_FIELDS = ['created_by', 'updated_by', 'owner'];

export function memberFields(form: FormDef | undefined): { key: string; label: string }[] {
  const own = (form?.fields ?? []).filter((f) => MEMBER_TYPES.has(f.type)).map((f) => ({ key: f.key, label: f.label ?? f.key }));
  const extra = SYSTEM_MEMBER_FIELDS.filter((key) => !own.some((f) => f.key === key)).map((key) => ({ key, label: key }));
  return [...own, ...extra];
}

/** Field types a flow cannot write (computed by the engine). */
const GENERATED_TYPES = new Set(['formula', 'autonumber', 'created_by', 'updated_by', 'created_at', 'updated_at',
  'rollup', 'lookup', 'divider', 'note']);

export function writableFields(form: FormDef | undefined): FieldDef[] {
  return (form?.fields ?? []).filter((f) => !GENERATED_TYPES.has(f.type));
}

export function fieldLabel(field: FieldDef): string {
  return field.label ? `${field.label} (${field.key})` : field.key;
}

/** The form a record write goes to: a `form` named with `record`, a relation's target, else the trigger's form. */
export function writeTargetForm(app: AppDraft, flow: FlowDef, node: FlowNode): string | undefined {
  if (typeof node.form === 'string' && node.form) return node.form;
  const triggerForm = formOf(app, flow.trigger.form);
  if (typeof node.target === 'string' && node.target) {
    const relation = triggerForm?.fields.find((f) => f.key === node.target);
    return typeof relation?.target === 'string' ? relation.target : undefined;
  }
  return flow.trigger.form;
}

/** Drop the keys whose value is undefined, so that clearing an input removes the key instead of writing null. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
