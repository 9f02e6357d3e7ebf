/**
 * The report's `filter` expression built from rows of field – operator – value, joined with AND, and read back
 * from an expression the rows wrote (anything else stays a formula the person edits as text).
 */
import {
  COMPARISON_SYMBOLS, joinConditions, quote, writeBlank, writeCall, writeComparison, writeIn, type ComparisonKey,
} from '../conditionRows';
import type { FieldDef } from '../types';
import { isDate, isNumeric } from './model';

export interface FilterRow {
  field: string;
  op: OperatorKey;
  value: string;
}

interface Operator {
  /** the expression for `field` and the typed-in value (already a literal of the field's type) */
  write: (field: string, literal: string) => string;
  /** reads one condition back: the field and the raw literal, or null */
  read: (text: string) => { field: string; literal: string } | null;
  /** no value to type */
  unary?: boolean;
  /** which fields it applies to */
  fits: (field: FieldDef) => boolean;
}

const PATH = '([a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)*)';
const LITERAL = "('(?:[^'\\\\]|''|\\\\.)*'|-?\\d+(?:\\.\\d+)?|TRUE|FALSE|DATEVALUE\\('\\d{4}-\\d{2}-\\d{2}'\\))";
const LIST = "\\(((?:'(?:[^'\\\\]|''|\\\\.)*'|-?\\d+(?:\\.\\d+)?)(?:, *(?:'(?:[^'\\\\]|''|\\\\.)*'|-?\\d+(?:\\.\\d+)?))*)\\)";

function infix(key: ComparisonKey, fits: Operator['fits']): Operator {
  const pattern = new RegExp(`^${PATH} ${COMPARISON_SYMBOLS[key].replace(/[<>=!]/g, (c) => `\\${c}`)} ${LITERAL}$`);
  return {
    write: (field, literal) => writeComparison(field, key, literal),
    read: (text) => {
      const m = pattern.exec(text);
      return m ? { field: m[1], literal: m[2] } : null;
    },
    fits,
  };
}

function call(name: string, fits: Operator['fits'], negate = false): Operator {
  const pattern = new RegExp(`^${negate ? 'NOT ' : ''}${name}\\(${PATH}, ${LITERAL}\\)$`);
  return {
    write: (field, literal) => writeCall(name, field, literal, negate),
    read: (text) => {
      const m = pattern.exec(text);
      return m ? { field: m[1], literal: m[2] } : null;
    },
    fits,
  };
}

function blank(negate: boolean): Operator {
  const pattern = new RegExp(`^${negate ? 'NOT ' : ''}ISBLANK\\(${PATH}\\)$`);
  return {
    write: (field) => writeBlank(field, negate),
    read: (text) => {
      const m = pattern.exec(text);
      return m ? { field: m[1], literal: '' } : null;
    },
    unary: true,
    fits: () => true,
  };
}

const ordered = (f: FieldDef) => isNumeric(f) || isDate(f);
const texty = (f: FieldDef) => !isNumeric(f) && !isDate(f) && !['relation', 'member', 'checkbox', 'switch', 'tags', 'multi_select'].includes(f.type);
const listy = (f: FieldDef) => f.type === 'tags' || f.type === 'multi_select';

/** The operators a row offers, in menu order. */
export const OPERATORS = {
  eq: infix('eq', (f) => !listy(f)),
  ne: infix('ne', (f) => !listy(f)),
  gt: infix('gt', ordered),
  ge: infix('ge', ordered),
  lt: infix('lt', ordered),
  le: infix('le', ordered),
  in: {
    write: (field: string, literal: string) => writeIn(field, literal),
    read: (text: string) => {
      const m = new RegExp(`^${PATH} IN ${LIST}$`).exec(text);
      return m ? { field: m[1], literal: m[2] } : null;
    },
    fits: (f: FieldDef) => !listy(f) && !isDate(f),
  } satisfies Operator,
  contains: call('CONTAINS', texty),
  has_tag: call('HAS_TAG', listy),
  empty: blank(false),
  not_empty: blank(true),
} satisfies Record<string, Operator>;

export type OperatorKey = keyof typeof OPERATORS;
export const OPERATOR_KEYS = Object.keys(OPERATORS) as OperatorKey[];

export function operatorsFor(field: FieldDef | undefined): OperatorKey[] {
  return OPERATOR_KEYS.filter((k) => !field || OPERATORS[k].fits(field));
}

export const isUnary = (op: OperatorKey) => Boolean((OPERATORS[op] as Operator).unary);

const unquote = (literal: string) =>
  literal.startsWith("'") ? literal.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1') : literal;
const NUMBER = /^-?\d+(\.\d+)?$/;

/** A typed-in value as a literal of the field's type: numbers and ids bare, dates through DATEVALUE, text quoted. */
export function literalOf(field: FieldDef | undefined, value: string): string {
  const text = value.trim();
  if (field && (isNumeric(field) || field.type === 'relation' || field.type === 'member') && NUMBER.test(text)) return text;
  if (field && isDate(field) && /^\d{4}-\d{2}-\d{2}$/.test(text)) return `DATEVALUE('${text}')`;
  if (field && (field.type === 'checkbox' || field.type === 'switch') && /^(true|false)$/i.test(text)) return text.toUpperCase();
  return quote(value);
}

function valueOf(literal: string): string {
  const date = /^DATEVALUE\('(.*)'\)$/.exec(literal);
  if (date) return date[1];
  return unquote(literal);
}

/** One condition of a row; a row without a field, or needing a value it lacks, gives nothing. */
export function rowCondition(row: FilterRow, field: FieldDef | undefined): string | null {
  if (!row.field) return null;
  const op = OPERATORS[row.op] as Operator;
  if (op.unary) return op.write(row.field, '');
  if (row.value.trim() === '') return null;
  if (row.op === 'in') {
    const parts = row.value.split(/[,\uff0c]/).map((p) => p.trim()).filter(Boolean);
    return op.write(row.field, parts.map((p) => literalOf(field, p)).join(', '));
  }
  return op.write(row.field, literalOf(field, row.value));
}

/** The rows as one expression (AND), or undefined for no condition at all. */
export function compileRows(rows: FilterRow[], fieldOf: (path: string) => FieldDef | undefined): string | undefined {
  return joinConditions(rows.map((row) => rowCondition(row, fieldOf(row.field))), 'AND') || undefined;
}

/** Split on AND outside quotes and brackets. */
function conjuncts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i += 1;
      else if (c === "'") quoted = text[i + 1] === "'" ? (i += 1, true) : false;
      continue;
    }
    if (c === "'") quoted = true;
    else if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (depth === 0 && text.startsWith(' AND ', i)) {
      parts.push(text.slice(start, i));
      start = i + 5;
      i += 4;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** The rows an expression was built from, or null when it is a formula the rows cannot show. */
export function parseRows(expr: string | undefined): FilterRow[] | null {
  if (!expr || !expr.trim()) return [];
  const rows: FilterRow[] = [];
  for (const part of conjuncts(expr.trim())) {
    const found = OPERATOR_KEYS.map((op) => ({ op, hit: (OPERATORS[op] as Operator).read(part) })).find((x) => x.hit);
    if (!found?.hit) return null;
    const { field, literal } = found.hit;
    const value = found.op === 'in'
      ? literal.split(/, */).map(valueOf).join(', ')
      : valueOf(literal);
    rows.push({ field, op: found.op, value });
  }
  return rows;
}
