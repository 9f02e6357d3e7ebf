/**
 * The condition builder's model and its two directions, pure:
 *   compileCondition(tree, fields) → the expression text a rule's `when` holds ("amount > 100 AND HAS_TAG(tags, 'VIP')")
 *   parseCondition(text, fields)   → the tree again, or null when the text is not a shape the builder writes
 *                                    (then the designer opens it in formula mode).
 * Rows are field – operator – value; the top level joins rows and groups with AND or OR, a group joins rows with
 * the other one (nesting one level deep is what people draw).
 */
import { parse, type ExprNode } from '../../expr';
import {
  COMPARISON_SYMBOLS, joinConditions, quote, writeBlank, writeCall, writeComparison, writeIn, type ComparisonKey, type Joiner,
} from '../conditionRows';
import { textNow } from '../text';
import type { FieldDef } from '../types';
import { RULE_TEXT } from './text';

export type { Joiner };
export type RowValue = string | number | boolean | string[] | null;

export interface ConditionRow {
  kind: 'row';
  field: string;
  op: string;
  value: RowValue;
}

export interface ConditionGroup {
  kind: 'group';
  join: Joiner;
  rows: ConditionRow[];
}

export interface ConditionTree {
  join: Joiner;
  items: (ConditionRow | ConditionGroup)[];
}

/** How the builder treats a field: which operators it offers and which value widget it draws. */
export type FieldKind = 'text' | 'number' | 'choice' | 'list' | 'bool' | 'date' | 'datetime' | 'person' | 'link';

const KIND_OF_TYPE: Record<string, FieldKind> = {
  text: 'text', long_text: 'text', phone: 'text', email: 'text', url: 'text', autonumber: 'text', id_number: 'text',
  wechat: 'text', barcode: 'text', color: 'text', rich_text: 'text',
  number: 'number', money: 'number', percent: 'number', rating: 'number', slider: 'number', duration: 'number',
  select: 'choice', radio: 'choice',
  multi_select: 'list', tags: 'list',
  checkbox: 'bool', switch: 'bool',
  date: 'date', datetime: 'datetime', created_at: 'datetime', updated_at: 'datetime',
  member: 'person', created_by: 'person', updated_by: 'person',
  relation: 'link', department: 'link',
};

/** A formula's `result` names the type it gives. */
const KIND_OF_RESULT: Record<string, FieldKind> = {
  number: 'number', money: 'number', percent: 'number', text: 'text', date: 'date', datetime: 'datetime', bool: 'bool',
};

export function fieldKind(field: FieldDef): FieldKind | null {
  if (field.type === 'formula' || field.type === 'rollup' || field.type === 'lookup') {
    const result = typeof field.result === 'string' ? field.result : field.type === 'rollup' ? 'number' : 'text';
    return KIND_OF_RESULT[result] ?? null;
  }
  if (field.type === 'relation' && field.many) return null;
  return KIND_OF_TYPE[field.type] ?? null;
}

/** The fields a condition row may name: the form's own fields with a kind, and the system fields. */
export function conditionFields(fields: FieldDef[]): FieldDef[] {
  const own = fields.filter((f) => fieldKind(f) !== null);
  const system: FieldDef[] = [
    { key: 'owner', type: 'member', label: textNow(RULE_TEXT, 'system.owner') },
    { key: 'created_at', type: 'created_at', label: textNow(RULE_TEXT, 'system.created_at') },
    { key: 'updated_at', type: 'updated_at', label: textNow(RULE_TEXT, 'system.updated_at') },
  ];
  return [...own, ...system.filter((s) => !own.some((f) => f.key === s.key))];
}

// ---- operators: each knows its kinds, the value it takes, and how it is written --------------------------------
export type ValueWidget = 'none' | 'single' | 'many' | 'days' | 'date';

export interface Operator {
  key: string;
  kinds: FieldKind[];
  value: ValueWidget;
  write: (field: string, value: RowValue, kind: FieldKind) => string;
}


/** A value as a literal for the field's kind: numbers bare, truth as TRUE/FALSE, dates through DATEVALUE, text quoted. */
export function literal(value: RowValue, kind: FieldKind): string {
  if (value === null || value === '' || (Array.isArray(value) && value.length === 0)) return 'NULL';
  if (Array.isArray(value)) return value.map((v) => literal(v, kind)).join(', ');
  if (kind === 'bool') return value === true || value === 'true' ? 'TRUE' : 'FALSE';
  if (kind === 'number' || kind === 'link' || (kind === 'person' && value !== 'me')) {
    const number = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(number) ? String(number) : 'NULL';
  }
  if (kind === 'person') return 'CURRENT_USER()';
  if (kind === 'date') return `DATEVALUE(${quote(String(value))})`;
  return quote(String(value));
}

// a date-time compares with a date-time only, so the builder offers it days-since and blank tests
const ORDERED: FieldKind[] = ['number', 'date'];
const EQUATABLE: FieldKind[] = ['text', 'number', 'choice', 'date', 'person', 'link'];
const comparison = (key: ComparisonKey, kinds: FieldKind[]): Operator => ({
  key, kinds, value: 'single', write: (field, value, kind) => writeComparison(field, key, literal(value, kind)),
});

export const OPERATORS: Operator[] = [
  comparison('eq', [...EQUATABLE, 'bool']),
  comparison('ne', EQUATABLE),
  comparison('gt', ORDERED),
  comparison('ge', ORDERED),
  comparison('lt', ORDERED),
  comparison('le', ORDERED),
  { key: 'contains', kinds: ['text'], value: 'single', write: (f, v, k) => writeCall('CONTAINS', f, literal(v, k)) },
  { key: 'not_contains', kinds: ['text'], value: 'single', write: (f, v, k) => writeCall('CONTAINS', f, literal(v, k), true) },
  { key: 'in', kinds: ['text', 'choice'], value: 'many', write: (f, v, k) => writeIn(f, literal(v, k)) },
  { key: 'not_in', kinds: ['text', 'choice'], value: 'many', write: (f, v, k) => writeIn(f, literal(v, k), true) },
  { key: 'has_tag', kinds: ['list'], value: 'single', write: (f, v) => writeCall('HAS_TAG', f, literal(v, 'text')) },
  { key: 'not_has_tag', kinds: ['list'], value: 'single', write: (f, v) => writeCall('HAS_TAG', f, literal(v, 'text'), true) },
  { key: 'days_over', kinds: ['date', 'datetime'], value: 'days', write: (f, v) => `DAYS_SINCE(${f}) > ${literal(v, 'number')}` },
  { key: 'days_within', kinds: ['date', 'datetime'], value: 'days', write: (f, v) => `DAYS_SINCE(${f}) <= ${literal(v, 'number')}` },
  { key: 'blank', kinds: ['text', 'number', 'choice', 'list', 'date', 'datetime', 'person', 'link'], value: 'none', write: (f) => writeBlank(f) },
  { key: 'not_blank', kinds: ['text', 'number', 'choice', 'list', 'date', 'datetime', 'person', 'link'], value: 'none', write: (f) => writeBlank(f, true) },
];

const OPERATOR_BY_KEY = new Map(OPERATORS.map((op) => [op.key, op]));

export function operatorsFor(kind: FieldKind): Operator[] {
  return OPERATORS.filter((op) => op.kinds.includes(kind));
}

export function operator(key: string): Operator | undefined {
  return OPERATOR_BY_KEY.get(key);
}

/** A fresh row on a field: its first operator and an empty value of the right shape. */
export function blankRow(field: FieldDef | undefined): ConditionRow {
  const kind = field ? fieldKind(field) ?? 'text' : 'text';
  const op = operatorsFor(kind)[0];
  return { kind: 'row', field: field?.key ?? '', op: op.key, value: blankValue(op, kind) };
}

export function blankValue(op: Operator, kind: FieldKind): RowValue {
  if (op.value === 'many') return [];
  if (op.value === 'none') return null;
  if (kind === 'bool') return true;
  if (kind === 'person') return 'me';
  return op.value === 'days' ? 30 : '';
}

// ---- tree → text ----------------------------------------------------------------------------------------------
function compileRow(row: ConditionRow, fields: Map<string, FieldDef>): string | null {
  const field = fields.get(row.field);
  const op = operator(row.op);
  if (!field || !op) return null;
  const kind = fieldKind(field);
  if (!kind || !op.kinds.includes(kind)) return null;
  // a row still waiting for its value is left out, as one without a field is
  const empty = row.value === null || row.value === '' || (Array.isArray(row.value) && row.value.length === 0);
  if (op.value !== 'none' && empty) return null;
  return op.write(row.field, row.value, kind);
}

/** The tree as expression text; rows that are not finished (no field or no value yet) are left out. Empty: no condition. */
export function compileCondition(tree: ConditionTree, fields: FieldDef[]): string {
  const byKey = new Map(conditionFields(fields).map((f) => [f.key, f]));
  return joinConditions(tree.items.map((item) => {
    if (item.kind === 'row') return compileRow(item, byKey);
    const inner = item.rows.map((row) => compileRow(row, byKey)).filter((part): part is string => part !== null);
    if (inner.length === 0) return null;
    return inner.length === 1 ? inner[0] : `(${joinConditions(inner, item.join)})`;
  }), tree.join);
}

// ---- text → tree ----------------------------------------------------------------------------------------------
// the parser reads == and <> as = and !=
const SYMBOL_TO_OP: Record<string, string> = Object.fromEntries(
  Object.entries(COMPARISON_SYMBOLS).map(([key, symbol]) => [symbol, key]),
);

/** The operands of a chain of the same AND / OR: `a AND b AND c` → [a, b, c]. */
function chain(node: ExprNode, join: Joiner): ExprNode[] {
  if (node.type === 'binary' && node.op === join) return [...chain(node.left, join), ...chain(node.right, join)];
  if (node.type === 'call' && node.name === join && node.args.length >= 1) return node.args.flatMap((a) => chain(a, join));
  return [node];
}

function isJoin(node: ExprNode): Joiner | null {
  if (node.type === 'binary' && (node.op === 'AND' || node.op === 'OR')) return node.op;
  return null;
}

function fieldName(node: ExprNode, fields: Map<string, FieldDef>): FieldDef | null {
  if (node.type !== 'name' || node.path.length !== 1) return null;
  return fields.get(node.path[0]) ?? null;
}

/** A literal operand as the row's value for the field's kind; undefined when it is not one the builder writes. */
function literalValue(node: ExprNode, kind: FieldKind): RowValue | undefined {
  if (node.type === 'literal') {
    if (kind === 'bool') return typeof node.value === 'boolean' ? node.value : undefined;
    if (kind === 'number' || kind === 'link' || kind === 'person') return typeof node.value === 'number' ? node.value : undefined;
    if (kind === 'date' || kind === 'datetime') return undefined;
    return typeof node.value === 'string' ? node.value : undefined;
  }
  if (node.type === 'unary' && node.op === '-' && node.operand.type === 'literal' && typeof node.operand.value === 'number') {
    return kind === 'number' ? -node.operand.value : undefined;
  }
  if (node.type === 'call' && node.name === 'CURRENT_USER' && node.args.length === 0) return kind === 'person' ? 'me' : undefined;
  if (node.type === 'call' && node.name === 'DATEVALUE' && node.args.length === 1 && node.args[0].type === 'literal'
    && typeof node.args[0].value === 'string') {
    return kind === 'date' ? node.args[0].value : undefined;
  }
  return undefined;
}

function row(field: FieldDef, op: string, value: RowValue): ConditionRow | null {
  const kind = fieldKind(field);
  const known = operator(op);
  return kind && known && known.kinds.includes(kind) ? { kind: 'row', field: field.key, op, value } : null;
}

/** One comparison the builder writes, back as a row; null for anything else. */
function parseRow(node: ExprNode, fields: Map<string, FieldDef>): ConditionRow | null {
  const negated = node.type === 'unary' && node.op === 'NOT';
  const inner = negated ? node.operand : node;
  if (inner.type === 'call' && inner.args.length >= 1) {
    const field = fieldName(inner.args[0], fields);
    if (!field) return null;
    if (inner.name === 'ISBLANK' && inner.args.length === 1) return row(field, negated ? 'not_blank' : 'blank', null);
    if ((inner.name === 'HAS_TAG' || inner.name === 'CONTAINS') && inner.args.length === 2) {
      const value = literalValue(inner.args[1], 'text');
      if (typeof value !== 'string') return null;
      const base = inner.name === 'HAS_TAG' ? 'has_tag' : 'contains';
      return row(field, negated ? `not_${base}` : base, value);
    }
    return null;
  }
  if (negated) return null;
  if (node.type === 'in') {
    const field = fieldName(node.subject, fields);
    const kind = field ? fieldKind(field) : null;
    if (!field || !kind) return null;
    const values = node.options.map((option) => literalValue(option, kind));
    if (values.some((v) => typeof v !== 'string')) return null;
    return row(field, node.negated ? 'not_in' : 'in', values as string[]);
  }
  if (node.type === 'binary' && SYMBOL_TO_OP[node.op]) {
    // DAYS_SINCE(date) > N / <= N
    if (node.left.type === 'call' && node.left.name === 'DAYS_SINCE' && node.left.args.length === 1
      && (node.op === '>' || node.op === '<=')) {
      const field = fieldName(node.left.args[0], fields);
      const days = literalValue(node.right, 'number');
      if (!field || typeof days !== 'number') return null;
      return row(field, node.op === '>' ? 'days_over' : 'days_within', days);
    }
    const field = fieldName(node.left, fields);
    const kind = field ? fieldKind(field) : null;
    if (!field || !kind) return null;
    const value = literalValue(node.right, kind);
    if (value === undefined) return null;
    return row(field, SYMBOL_TO_OP[node.op], value);
  }
  return null;
}

/**
 * The builder's tree for a condition text, or null when the builder cannot draw it (other functions, arithmetic,
 * nesting deeper than one group, relations …) or the text does not parse. An empty text is an empty tree.
 */
export function parseCondition(text: string | null | undefined, fields: FieldDef[]): ConditionTree | null {
  if (!text || !text.trim()) return { join: 'AND', items: [] };
  let node: ExprNode;
  try {
    node = parse(text);
  } catch {
    return null;
  }
  const byKey = new Map(conditionFields(fields).map((f) => [f.key, f]));
  const join = isJoin(node) ?? 'AND';
  const other: Joiner = join === 'AND' ? 'OR' : 'AND';
  const items: (ConditionRow | ConditionGroup)[] = [];
  for (const part of chain(node, join)) {
    if (isJoin(part) === other) {
      const rows = chain(part, other).map((p) => parseRow(p, byKey));
      if (rows.some((r) => r === null)) return null;
      items.push({ kind: 'group', join: other, rows: rows as ConditionRow[] });
      continue;
    }
    const single = parseRow(part, byKey);
    if (!single) return null;
    items.push(single);
  }
  return { join, items };
}
