/**
 * Evaluating a parsed expression over one record as the API hands it out (JSON), with the rules of
 * engines/expr/python.py: empty values, comparisons, date arithmetic, aggregates over sub-table rows.
 *
 * Python evaluates a type-checked tree; here the field definitions stand in for the checker: they say which
 * names are dates ("2026-11-20" → a date), date-times, checkboxes (empty reads as false), relations (read as the
 * linked id), and which are rows (only inside SUM/COUNT/AVG/MIN/MAX).
 */
import { ExprError, children, parse, walk, type CallNode, type ExprNode, type NameNode } from './parser';
import { FUNCTIONS, textOf, type Runtime, type Thunk } from './functions';
import {
  ExprDate, ExprDateTime, PythonError, compareCodePoints, dateTimeOnCalendar, deltaDays, onCalendar,
  parseDate, parseDateTime, pyEquals, refId, truthy, type Value,
} from './values';

export interface FieldDef {
  key: string;
  type: string;
  label?: string | null;
  required?: boolean;
  many?: boolean;
  target?: string;
  result?: string | null;
  expr?: string;
  fields?: FieldDef[];
  options?: (string | { value: string; label?: string | null })[];
  linkage?: unknown[];
  [property: string]: unknown;
}

export interface FormSchema {
  fields: readonly FieldDef[];
}

/** What names mean: the form's fields, the app's other forms (for reading through relations), and whether
 * these are a sub-table row's fields (rows have no system fields). */
export interface Scope {
  fields: readonly FieldDef[];
  forms?: Record<string, FormSchema>;
  row?: boolean;
}

export interface Env extends Scope {
  values: Record<string, unknown>;
}

export interface EvalContext {
  /** The moment: an ISO 8601 text with an offset, or a Date. */
  now: string | Date;
  /** The deployment's time zone (IANA name), e.g. "Asia/Shanghai". */
  tz: string;
  userId?: number | null;
}

// ---- kinds ------------------------------------------------------------------------------------------------------
const KIND_OF_TYPE: Record<string, string> = {
  text: 'text', long_text: 'text', phone: 'text', email: 'text', url: 'text', select: 'text', autonumber: 'text',
  number: 'number', money: 'number', percent: 'number', date: 'date', datetime: 'datetime', checkbox: 'bool',
  multi_select: 'list', tags: 'list', relation: 'ref',
};
const FORMULA_RESULTS: Record<string, string> = {
  number: 'number', money: 'number', percent: 'number', text: 'text', date: 'date', datetime: 'datetime', checkbox: 'bool',
};
const SYSTEM_KINDS: Record<string, string> = {
  id: 'number', version: 'number', created_at: 'datetime', updated_at: 'datetime', created_by: 'ref', owner: 'ref',
};

const formulaKinds = new WeakMap<FieldDef, string>();

function fieldKind(f: FieldDef, scope: Scope): string {
  if (f.type === 'formula') {
    if (f.result) return FORMULA_RESULTS[f.result] ?? 'any';
    const known = formulaKinds.get(f);
    if (known) return known;
    formulaKinds.set(f, 'any'); // a formula reading itself stops here
    let kind = 'any';
    try {
      kind = staticKind(parse(String(f.expr ?? '')), scope);
    } catch {
      kind = 'any';
    }
    formulaKinds.set(f, kind);
    return kind;
  }
  return KIND_OF_TYPE[f.type] ?? 'any';
}

interface Step {
  kind: 'value' | 'system' | 'relation' | 'subtable' | 'many' | 'unknown';
  key: string;
}

interface Resolved {
  steps: Step[];
  kind: string; // of the value read (the item's kind for rows)
  source: string | null; // rows: the path of the collection
  collection: number; // rows: the index of the collection step
}

/** A name's steps and kind, as check.py resolves it; unknown fields read the raw value. */
function resolve(path: string[], scope: Scope): Resolved {
  let fields: readonly FieldDef[] | undefined = scope.fields;
  let isRow = Boolean(scope.row);
  const steps: Step[] = [];
  let source: string | null = null;
  let collection = -1;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    const last = i === path.length - 1;
    const f: FieldDef | undefined = fields?.find((candidate) => candidate.key === part);
    if (i === 0 && part in SYSTEM_KINDS && !f && !isRow) {
      steps.push({ kind: 'system', key: part });
      return { steps, kind: last ? SYSTEM_KINDS[part] : 'any', source, collection };
    }
    if (!f) {
      steps.push(...path.slice(i).map((key) => ({ kind: 'unknown' as const, key })));
      return { steps, kind: 'any', source, collection };
    }
    if (f.type === 'subtable' || (f.type === 'relation' && f.many)) {
      const kind: 'subtable' | 'many' = f.type === 'subtable' ? 'subtable' : 'many';
      steps.push({ kind, key: part });
      if (source === null) {
        source = path.slice(0, i + 1).join('.');
        collection = i;
      }
      if (last) return { steps, kind: kind === 'subtable' ? 'record' : 'ref', source, collection };
      fields = kind === 'subtable' ? f.fields : scope.forms?.[String(f.target)]?.fields;
      isRow = kind === 'subtable';
    } else if (f.type === 'relation') {
      steps.push({ kind: 'relation', key: part });
      if (last) return { steps, kind: 'ref', source, collection };
      fields = scope.forms?.[String(f.target)]?.fields;
      isRow = false;
    } else {
      steps.push({ kind: 'value', key: part });
      if (!last) {
        steps.push(...path.slice(i + 1).map((key) => ({ kind: 'unknown' as const, key })));
        return { steps, kind: 'any', source, collection };
      }
      return { steps, kind: fieldKind(f, scope), source, collection };
    }
  }
  return { steps, kind: 'any', source, collection };
}

/** The kind an expression gives, as far as the field definitions tell (check.py's result types, simplified). */
export function staticKind(node: ExprNode, scope: Scope): string {
  switch (node.type) {
    case 'literal':
      return node.value === null ? 'null' : typeof node.value === 'boolean' ? 'bool'
        : typeof node.value === 'number' ? 'number' : 'text';
    case 'name':
      return resolve(node.path, scope).kind;
    case 'unary':
      return node.op === 'NOT' ? 'bool' : 'number';
    case 'in':
      return 'bool';
    case 'member':
      return 'any';
    case 'binary': {
      if (['AND', 'OR', '=', '!=', '<', '<=', '>', '>='].includes(node.op)) return 'bool';
      if (node.op === '&') return 'text';
      const left = staticKind(node.left, scope);
      const right = staticKind(node.right, scope);
      if ((left === 'date' || left === 'datetime') && !['date', 'datetime'].includes(right)) return left;
      return 'number';
    }
    case 'call': {
      const kinds = () => node.args.map((arg) => staticKind(arg, scope));
      const known = (list: string[]) => list.find((k) => k !== 'null' && k !== 'any') ?? 'any';
      switch (node.name) {
        case 'IF': return known(kinds().slice(1));
        case 'IFS': return known(kinds().filter((_, i) => i % 2 === 1));
        case 'BLANKVALUE': case 'DATEADD': return known(kinds());
        case 'MIN': case 'MAX': return known(kinds());
        default: return CALL_KINDS[node.name] ?? 'any';
      }
    }
  }
}

const CALL_KINDS: Record<string, string> = {
  AND: 'bool', OR: 'bool', NOT: 'bool', ISBLANK: 'bool', HAS_TAG: 'bool', CONTAINS: 'bool', CURRENT_USER: 'ref',
  TODAY: 'date', NOW: 'datetime', EOMONTH: 'date', DATEVALUE: 'date', SUM: 'number', COUNT: 'number', AVG: 'number',
  ROUND: 'number', ABS: 'number', FLOOR: 'number', CEILING: 'number', INT: 'number', MOD: 'number', POWER: 'number',
  SQRT: 'number', LEN: 'number', FIND: 'number', DATEDIF: 'number', DAYS_SINCE: 'number', YEAR: 'number',
  MONTH: 'number', DAY: 'number', WEEKDAY: 'number', CONCAT: 'text', LEFT: 'text', RIGHT: 'text', MID: 'text',
  UPPER: 'text', LOWER: 'text', TRIM: 'text', SUBSTITUTE: 'text', TEXT: 'text', FORMAT_DATE: 'text',
};

// ---- reading values -----------------------------------------------------------------------------------------------
type Record_ = Record<string, unknown>;

function isRecord(value: unknown): value is Record_ {
  return value !== null && typeof value === 'object' && !Array.isArray(value) &&
    !(value instanceof ExprDate) && !(value instanceof ExprDateTime);
}

/** A JSON value of the given kind as the language's value. */
export function decode(kind: string, raw: unknown, tz: string): Value {
  if (raw === undefined || raw === null) return kind === 'bool' ? false : null;
  switch (kind) {
    case 'bool':
      return truthy(raw);
    case 'ref':
      return (refId(raw) ?? null) as Value;
    case 'number':
      if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
      return raw as Value;
    case 'date':
      if (raw instanceof ExprDate) return raw;
      return typeof raw === 'string' ? parseDate(raw) : null;
    case 'datetime':
      if (raw instanceof ExprDateTime) return raw;
      if (raw instanceof Date) return new ExprDateTime(BigInt(raw.getTime()) * 1000n);
      return typeof raw === 'string' ? parseDateTime(raw, tz) : null;
    default:
      return raw as Value;
  }
}

/** Follow field keys from a record (or row) through linked records (_reader in python.py). */
function readPath(start: unknown, steps: Step[], kind: string, tz: string): Value {
  let value: unknown = start;
  for (let i = 0; i < steps.length; i++) {
    if (value === null || value === undefined) return decode(kind, null, tz);
    if (!isRecord(value)) return decode(kind, null, tz); // a bare id where a record was needed
    value = value[steps[i].key];
  }
  return decode(kind, value, tz);
}

// ---- the interpreter ----------------------------------------------------------------------------------------------
interface RowEnv {
  record: Record_;
  row: Record_;
}

class Interpreter {
  private rowSource: string | null = null;

  constructor(private readonly scope: Scope, private readonly rt: Runtime) {}

  run(node: ExprNode, env: Record_ | RowEnv): Value {
    switch (node.type) {
      case 'literal':
        return node.value;
      case 'name':
        return this.name(node, env);
      case 'unary': {
        const value = this.run(node.operand, env);
        if (node.op === 'NOT') return !truthy(value);
        return value === null ? null : -(value as number);
      }
      case 'binary':
        return this.binary(node.op, node.left, node.right, env);
      case 'in': {
        const value = refId(this.run(node.subject, env)) as Value;
        if (value === null) return node.negated;
        const found = node.options.some((option) => pyEquals(value, refId(this.run(option, env))));
        return found !== node.negated;
      }
      case 'call':
        return this.call(node, env);
      case 'member':
        throw new ExprError('expr_unknown_field', node.start, { form: '', name: node.name });
    }
  }

  private name(node: NameNode, env: Record_ | RowEnv): Value {
    const resolved = resolve(node.path, this.scope);
    const tz = this.rt.tz;
    if (resolved.source !== null && this.rowSource === resolved.source) {
      return readPath((env as RowEnv).row, resolved.steps.slice(resolved.collection + 1), resolved.kind, tz);
    }
    const record = this.rowSource !== null ? (env as RowEnv).record : (env as Record_);
    if (resolved.source !== null) {
      throw new ExprError('expr_rows_outside_aggregate', node.start, { name: node.path.join('.') });
    }
    return readPath(record, resolved.steps, resolved.kind, tz);
  }

  private binary(op: string, leftNode: ExprNode, rightNode: ExprNode, env: Record_ | RowEnv): Value {
    if (op === 'AND') return truthy(this.run(leftNode, env)) && truthy(this.run(rightNode, env));
    if (op === 'OR') return truthy(this.run(leftNode, env)) || truthy(this.run(rightNode, env));
    const left = this.run(leftNode, env);
    const right = this.run(rightNode, env);
    switch (op) {
      case '=':
        return equal(left, right);
      case '!=':
        return !equal(left, right);
      case '<': case '<=': case '>': case '>=': {
        const a = refId(left) as Value;
        const b = refId(right) as Value;
        if (a === null || b === null) return false;
        return ordered(op, a, b);
      }
      case '&':
        return textOf(left, this.rt) + textOf(right, this.rt);
      default:
        return arithmetic(op, left, right);
    }
  }

  private call(node: CallNode, env: Record_ | RowEnv): Value {
    const fn = FUNCTIONS[node.name];
    if (!fn) throw new ExprError('expr_unknown_function', node.start, { name: node.name });
    if (!fn.aggregate) {
      const args: Thunk[] = node.args.map((arg) => () => this.run(arg, env));
      return fn.call!(args, node, this.rt, (i) => staticKind(node.args[i], this.scope));
    }
    const arg = node.args[0];
    const source = rowsSource(arg, this.scope);
    if (node.args.length !== 1 || source === null) {
      throw new ExprError('expr_aggregate_needs_rows', arg?.start ?? node.start, { name: node.name });
    }
    const nested = this.rowSource !== null;
    const record = nested ? (env as RowEnv).record : (env as Record_);
    const first = [...walk(arg)].find((n): n is NameNode => n.type === 'name' &&
      resolve(n.path, this.scope).source === source)!;
    const resolved = resolve(first.path, this.scope);
    const raw = readPath(record, resolved.steps.slice(0, resolved.collection + 1), 'rows', this.rt.tz);
    const items = (Array.isArray(raw) ? raw : []).map((item) => (isRecord(item) ? item : { id: item }));
    const bare = arg.type === 'name' && arg.path.join('.') === source;
    const outer = this.rowSource;
    this.rowSource = source;
    try {
      const values = items.map((item) => (bare ? 1 : this.run(arg, { record, row: item })));
      return fn.reduce!(values);
    } finally {
      this.rowSource = outer;
    }
  }
}

/** The collection an aggregate's argument runs over: the rows its names read, outside nested aggregates. */
function rowsSource(node: ExprNode, scope: Scope): string | null {
  if (node.type === 'name') return resolve(node.path, scope).source;
  if (node.type === 'call' && FUNCTIONS[node.name]?.aggregate) return null;
  for (const child of children(node)) {
    const source = rowsSource(child, scope);
    if (source !== null) return source;
  }
  return null;
}

function equal(left: Value, right: Value): boolean {
  const a = refId(left) as Value;
  const b = refId(right) as Value;
  if (a === null || b === null) return a === null && b === null;
  return pyEquals(a, b);
}

function ordered(op: string, a: Value, b: Value): boolean {
  let x: number | bigint;
  let y: number | bigint;
  if (typeof a === 'string' && typeof b === 'string') {
    x = compareCodePoints(a, b);
    y = 0;
  } else if (a instanceof ExprDate && b instanceof ExprDate) {
    x = a.days;
    y = b.days;
  } else if (a instanceof ExprDateTime && b instanceof ExprDateTime) {
    x = a.us;
    y = b.us;
  } else if ((typeof a === 'number' || typeof a === 'boolean') && (typeof b === 'number' || typeof b === 'boolean')) {
    x = Number(a);
    y = Number(b);
  } else {
    throw new PythonError('TypeError');
  }
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function arithmetic(op: string, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (a instanceof ExprDate || a instanceof ExprDateTime) {
    if (b instanceof ExprDate && a instanceof ExprDate) return a.days - b.days;
    if (b instanceof ExprDateTime && a instanceof ExprDateTime) {
      const delta = a.us - b.us;
      return Number(delta) / 1e6 / 86400;
    }
    const n = b as number;
    if (a instanceof ExprDate) {
      if (!Number.isFinite(n)) return null; // math.trunc raises: off the calendar, empty
      const days = Math.trunc(n);
      if (Math.abs(days) > 999_999_999) return null;
      const moved = op === '+' ? a.days + days : a.days - days;
      return onCalendar(moved) ? new ExprDate(moved) : null;
    }
    const delta = deltaDays(n);
    if (delta === null) return null;
    const moved = op === '+' ? a.us + delta : a.us - delta;
    return dateTimeOnCalendar(moved) ? new ExprDateTime(moved) : null;
  }
  const x = a as number;
  const y = b as number;
  if (op === '+') return x + y;
  if (op === '-') return x - y;
  if (op === '*') return x * y;
  return y === 0 ? null : x / y;
}

function runtime(ctx: EvalContext): Runtime {
  const now = ctx.now instanceof Date
    ? new ExprDateTime(BigInt(ctx.now.getTime()) * 1000n)
    : parseDateTime(ctx.now, ctx.tz);
  if (!now) throw new Error(`not a moment: ${String(ctx.now)}`);
  return { now, tz: ctx.tz, userId: ctx.userId ?? null };
}

/** The value of a parsed expression for one record. Throws ExprError for a tree the server would have refused,
 * and PythonError where the server's evaluation fails too. */
export function evaluate(node: ExprNode, env: Env, ctx: EvalContext): Value {
  return new Interpreter(env, runtime(ctx)).run(node, env.values);
}

const parsed = new Map<string, ExprNode | ExprError>();

/** parse() with a cache per text: linkage conditions are evaluated on every keystroke. */
export function parseCached(text: string): ExprNode {
  let entry = parsed.get(text);
  if (entry === undefined) {
    try {
      entry = parse(text);
    } catch (error) {
      if (!(error instanceof ExprError)) throw error;
      entry = error;
    }
    if (parsed.size > 2000) parsed.clear();
    parsed.set(text, entry);
  }
  if (entry instanceof ExprError) throw entry;
  return entry;
}

/** A value of the language as the API writes it: dates "YYYY-MM-DD", date-times ISO 8601 in UTC. */
export function toJSONValue(value: Value): unknown {
  if (value instanceof ExprDate) return value.toString();
  if (value instanceof ExprDateTime) return value.toString();
  if (Array.isArray(value)) return value.map(toJSONValue);
  return value;
}

