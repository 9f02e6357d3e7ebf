/**
 * The 46 functions of engines/expr/functions/, each as its Python `py`/`compile_python`/`reduce` computes it.
 * A plain function gets its arguments as thunks; unless it takes empties (`nulls` in Python), an empty
 * argument gives an empty result.
 */
import { ExprError, type CallNode } from './parser';
import {
  ExprDate, ExprDateTime, PythonError, US_PER_DAY, civilFromDays, daysFromCivil,
  floor15, formatNumber, fromWall, isoDate, monthLength, multiple, numberText, onCalendar, pyEquals, pyLess, pySlice, roundHalfAway, toWall, truthy, wallParts, weekday, whole, dateTimeOnCalendar, type Value,
} from './values';

export interface Runtime {
  now: ExprDateTime;
  tz: string;
  userId: number | null;
}

export type Thunk = () => Value;

export interface ExprFunction {
  aggregate?: boolean;
  /** Many row values → one value (aggregates only). */
  reduce?(values: Value[]): Value;
  /** The value of a call (plain functions). `staticKind(i)` is the declared kind of argument i, or 'any'. */
  call?(args: Thunk[], node: CallNode, rt: Runtime, staticKind: (i: number) => string): Value;
}

// ---- values as text -------------------------------------------------------------------------------------------
function localParts(rt: Runtime, moment: ExprDateTime) {
  return wallParts(toWall(rt.tz, moment.us));
}

/** strftime("%Y-%m-%d %H:%M:%S") of the wall-clock time (glibc writes years below 1000 unpadded). */
function localDateTimeText(rt: Runtime, moment: ExprDateTime): string {
  const p = localParts(rt, moment);
  const [y, m, d] = civilFromDays(p.days);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${y}-${two(m)}-${two(d)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

/** A value as `&` joins it (text_of in python.py). */
export function textOf(value: Value, rt: Runtime): string {
  if (value === null) return '';
  return valueText(rt, value) ?? '';
}

/** A value as text functions read it (value_text in text.py); empty stays empty. */
export function valueText(rt: Runtime, value: Value): string | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') return numberText(value);
  if (value instanceof ExprDateTime) return localDateTimeText(rt, value);
  if (value instanceof ExprDate) return isoDate(value.days);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

// ---- helpers ----------------------------------------------------------------------------------------------------
type Impl = (rt: Runtime, ...values: Value[]) => Value;

/** A function of evaluated arguments; empty in, empty out unless `nulls`. */
function simple(impl: Impl, nulls = false): ExprFunction {
  return {
    call(args, _node, rt) {
      const values = args.map((arg) => arg());
      if (!nulls && values.includes(null)) return null;
      return impl(rt, ...values);
    },
  };
}

/** A text function: the arguments at `textArgs` (all when null) are read as text first. */
function textual(impl: Impl, nulls = false, textArgs: number[] | null = [0]): ExprFunction {
  return {
    call(args, _node, rt) {
      const values = args.map((arg) => arg());
      if (!nulls && values.includes(null)) return null;
      return impl(rt, ...values.map((v, i) => (textArgs === null || textArgs.includes(i) ? valueText(rt, v) : v)));
    },
  };
}

const num = (value: Value) => value as number;
const chars = (text: string) => Array.from(text);
const MAX_COUNT = 1_000_000_000;
const MAX_DIGITS = 308;
const OVERFLOW_LOG = 709.0;
const MAX_SHIFT = 10_000_000;

function literalArg(node: CallNode, index: number): unknown {
  const arg = node.args[index];
  if (!arg || arg.type !== 'literal') throw new ExprError('expr_unsupported', arg?.start ?? node.start);
  return arg.value;
}

function option<T>(node: CallNode, index: number, options: Record<string, T>): T {
  const value = literalArg(node, index);
  const key = typeof value === 'string' ? value.toLowerCase() : String(value);
  if (!(key in options)) throw new ExprError('expr_unsupported', node.args[index].start);
  return options[key];
}

function localDays(rt: Runtime, value: Value): number {
  return value instanceof ExprDateTime ? localParts(rt, value).days : (value as ExprDate).days;
}

function todayDays(rt: Runtime): number {
  return localParts(rt, rt.now).days;
}

// ---- logic ------------------------------------------------------------------------------------------------------
const logic: Record<string, ExprFunction> = {
  IF: {
    call(args) {
      return truthy(args[0]()) ? args[1]() : args.length > 2 ? args[2]() : null;
    },
  },
  IFS: {
    call(args) {
      for (let i = 0; i + 1 < args.length; i += 2) if (truthy(args[i]())) return args[i + 1]();
      return null;
    },
  },
  AND: simple((_rt, ...values) => values.every(truthy), true),
  OR: simple((_rt, ...values) => values.some(truthy), true),
  NOT: simple((_rt, value) => !truthy(value), true),
  ISBLANK: simple((_rt, value) => value === null || value === '' || (Array.isArray(value) && value.length === 0), true),
  BLANKVALUE: simple((_rt, value, fallback) => (value === null || value === '' ? fallback : value), true),
};

// ---- aggregates ---------------------------------------------------------------------------------------------------
const present = (values: Value[]) => values.filter((v) => v !== null);
const total = (values: Value[]) => values.reduce<number>((sum, v) => sum + (v as number), 0);

function extreme(values: Value[], better: (a: Value, b: Value) => boolean): Value {
  const items = present(values);
  if (!items.length) return null;
  let best = items[0];
  for (const item of items.slice(1)) if (better(item, best)) best = item;
  return best;
}

const aggregates: Record<string, ExprFunction> = {
  SUM: { aggregate: true, reduce: (values) => total(present(values)) },
  COUNT: { aggregate: true, reduce: (values) => present(values).length },
  AVG: {
    aggregate: true,
    reduce(values) {
      const items = present(values);
      return items.length ? total(items) / items.length : null;
    },
  },
  MIN: { aggregate: true, reduce: (values) => extreme(values, pyLess) },
  MAX: { aggregate: true, reduce: (values) => extreme(values, (a, b) => pyLess(b, a)) },
};

// ---- people, tags, the moment ----------------------------------------------------------------------------------------
const info: Record<string, ExprFunction> = {
  CURRENT_USER: simple((rt) => rt.userId, true),
  TODAY: simple((rt) => new ExprDate(todayDays(rt)), true),
  NOW: simple((rt) => rt.now, true),
  HAS_TAG: simple((_rt, tags, tag) => tag !== null && ((tags as Value[] | null) ?? []).some((t) => pyEquals(t, tag)), true),
};

// ---- math -------------------------------------------------------------------------------------------------------------
function floorTo(up: boolean): ExprFunction {
  return simple((_rt, x, significance = 1.0) => {
    const s = Math.abs(num(significance));
    if (s === 0 || !Number.isFinite(s)) return null;
    const q = num(x) / s;
    if (!Number.isFinite(q)) return null;
    return multiple(up ? -floor15(-q) : floor15(q), s);
  });
}

const maths: Record<string, ExprFunction> = {
  ROUND: simple((_rt, x, digits = 0.0) => roundHalfAway(num(x), whole(num(digits), -MAX_DIGITS, MAX_DIGITS))),
  ABS: simple((_rt, x) => Math.abs(num(x))),
  FLOOR: floorTo(false),
  CEILING: floorTo(true),
  INT: simple((_rt, x) => {
    if (!Number.isFinite(num(x))) throw new PythonError(Number.isNaN(num(x)) ? 'ValueError' : 'OverflowError');
    return Math.floor(num(x));
  }),
  MOD: simple((_rt, x, y) => {
    const a = num(x);
    const b = num(y);
    if (b === 0) return null;
    const r = a - b * floor15(a / b);
    return Math.abs(r) < Math.abs(a) * 1e-14 ? 0.0 : r;
  }),
  POWER: simple((_rt, x, y) => {
    const a = num(x);
    const b = num(y);
    if ((a === 0 && b < 0) || (a < 0 && b !== Math.floor(b))) return null;
    if (a !== 0 && Math.abs(b * Math.log(Math.abs(a))) > OVERFLOW_LOG) return null;
    return Math.pow(a, b);
  }),
  SQRT: simple((_rt, x) => (num(x) < 0 ? null : Math.sqrt(num(x)))),
};

// ---- text -------------------------------------------------------------------------------------------------------------
const NUMBER_FORMAT = /^(#,##)?0(?:\.(0{1,10}))?(%)?$/;
const MARK_A = '\x01';
const MARK_B = '\x02';
const asciiCase = (t: string, from: RegExp, shift: (c: string) => string) => t.replace(from, shift);

const text: Record<string, ExprFunction> = {
  CONCAT: textual((_rt, ...values) => values.map((v) => v ?? '').join(''), true, null),
  LEN: textual((_rt, t) => chars((t as string | null) ?? '').length, true),
  LEFT: textual((_rt, t, n = 1.0) => pySlice(chars(t as string), 0, whole(num(n), 0, MAX_COUNT))),
  RIGHT: textual((_rt, t, n = 1.0) => {
    const all = chars(t as string);
    const k = whole(num(n), 0, MAX_COUNT);
    return k ? pySlice(all, Math.max(all.length - k, 0)) : '';
  }),
  MID: textual((_rt, t, start, n) => {
    const first = whole(num(start), 1, MAX_COUNT) - 1;
    return pySlice(chars(t as string), first, first + whole(num(n), 0, MAX_COUNT));
  }),
  FIND: textual((_rt, part, t) => {
    const index = (t as string).indexOf(part as string);
    return index < 0 ? 0 : chars((t as string).slice(0, index)).length + 1;
  }, false, [0, 1]),
  CONTAINS: {
    call(args, _node, rt, staticKind) {
      const first = args[0]();
      const second = args[1]();
      if (staticKind(0) === 'list' || (staticKind(0) === 'any' && Array.isArray(first))) {
        return second !== null && ((first as Value[] | null) ?? []).some((item) => pyEquals(item, second));
      }
      return ((valueText(rt, first) ?? '') as string).includes(valueText(rt, second) ?? '');
    },
  },
  UPPER: textual((_rt, t) => asciiCase(t as string, /[a-z]+/g, (c) => c.toUpperCase())),
  LOWER: textual((_rt, t) => asciiCase(t as string, /[A-Z]+/g, (c) => c.toLowerCase())),
  TRIM: textual((_rt, t) => (t as string).split(' ').join(MARK_A + MARK_B).split(MARK_B + MARK_A).join('')
    .split(MARK_A + MARK_B).join(' ').replace(/^ +| +$/g, '')),
  SUBSTITUTE: textual((_rt, t, old, replacement) => {
    if (t === null) return null;
    return old ? (t as string).split(old as string).join((replacement as string | null) ?? '') : t;
  }, true, [0, 1, 2]),
  TEXT: {
    call(args, node, rt) {
      const value = args[0]();
      if (args.length === 1) return valueText(rt, value);
      const fmt = literalArg(node, 1);
      if (value === null) return null;
      if (value instanceof ExprDate || value instanceof ExprDateTime) return formatDate(rt, value, String(fmt));
      const match = NUMBER_FORMAT.exec(String(fmt));
      if (!match) throw new ExprError('expr_unsupported', node.args[1].start);
      return formatNumber(num(value), Boolean(match[1]), (match[2] ?? '').length, Boolean(match[3]));
    },
  },
};

// ---- dates ------------------------------------------------------------------------------------------------------------
const UNITS: Record<string, string> = {
  day: 'day', days: 'day', week: 'week', weeks: 'week', month: 'month', months: 'month', year: 'year', years: 'year',
};
const DIF_UNITS: Record<string, string> = { day: 'day', d: 'day', month: 'month', m: 'month', year: 'year', y: 'year' };
const WEEKDAY_MODES: Record<string, number> = { '1': 1, '2': 2, '3': 3 };
const FIRST_MONTH = 12;
const LAST_MONTH = 9999 * 12 + 11;

/** The same day `months` later, clamped to the month's end; null off the calendar (add_months). */
function addMonths(days: number, months: number): number | null {
  const [y, m, d] = civilFromDays(days);
  const index = y * 12 + m - 1 + months;
  if (index < FIRST_MONTH || index > LAST_MONTH) return null;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return daysFromCivil(year, month, Math.min(d, monthLength(year, month)));
}

function shiftDays(days: number, n: number, unit: string): number | null {
  if (unit === 'month' || unit === 'year') return addMonths(days, n * (unit === 'year' ? 12 : 1));
  const moved = days + n * (unit === 'week' ? 7 : 1);
  return onCalendar(moved) ? moved : null;
}

function monthsBetween(start: number, end: number): number {
  const [sy, sm, sd] = civilFromDays(start);
  const [ey, em, ed] = civilFromDays(end);
  return (ey - sy) * 12 + em - sm - (ed < sd ? 1 : 0);
}

const DATE_TOKEN = /YYYY|MM|DD|HH|mm|ss/g;

function formatDate(rt: Runtime, value: ExprDate | ExprDateTime, fmt: string): string {
  let days: number;
  let hour = 0;
  let minute = 0;
  let second = 0;
  if (value instanceof ExprDateTime) {
    const p = localParts(rt, value);
    ({ days, hour, minute, second } = p);
  } else days = value.days;
  const [y, m, d] = civilFromDays(days);
  const two = (n: number) => String(n).padStart(2, '0');
  const fields: Record<string, string> = {
    YYYY: String(y).padStart(4, '0'), MM: two(m), DD: two(d), HH: two(hour), mm: two(minute), ss: two(second),
  };
  return fmt.replace(DATE_TOKEN, (token) => fields[token]);
}

const DATEVALUE = /^([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})$/;

function yearPart(part: 0 | 1 | 2): ExprFunction {
  return simple((rt, value) => civilFromDays(localDays(rt, value))[part]);
}

const dates: Record<string, ExprFunction> = {
  DATEADD: {
    call(args, node, rt) {
      const unit = option(node, 2, UNITS);
      const moment = args[0]();
      const count = args[1]();
      if (moment === null || count === null) return null;
      const n = whole(num(count), -MAX_SHIFT, MAX_SHIFT);
      if (moment instanceof ExprDate) {
        const moved = shiftDays(moment.days, n, unit);
        return moved === null ? null : new ExprDate(moved);
      }
      const wall = toWall(rt.tz, (moment as ExprDateTime).us);
      const p = wallParts(wall);
      const moved = shiftDays(p.days, n, unit);
      if (moved === null) return null;
      const utc = fromWall(rt.tz, wall + BigInt(moved - p.days) * US_PER_DAY);
      return dateTimeOnCalendar(utc) ? new ExprDateTime(utc) : null;
    },
  },
  DATEDIF: {
    call(args, node, rt) {
      const unit = option(node, 2, DIF_UNITS);
      const first = args[0]();
      const second = args[1]();
      if (first === null || second === null) return null;
      const start = localDays(rt, first);
      const end = localDays(rt, second);
      if (end < start) return null;
      if (unit === 'day') return end - start;
      const months = monthsBetween(start, end);
      return unit === 'month' ? months : Math.floor(months / 12);
    },
  },
  DAYS_SINCE: simple((rt, value) => todayDays(rt) - localDays(rt, value)),
  YEAR: yearPart(0),
  MONTH: yearPart(1),
  DAY: yearPart(2),
  WEEKDAY: {
    call(args, node, rt) {
      const mode = args.length > 1 ? option(node, 1, WEEKDAY_MODES) : 2;
      const value = args[0]();
      if (value === null) return null;
      const monday0 = weekday(localDays(rt, value));
      return mode === 1 ? ((monday0 + 1) % 7) + 1 : mode === 2 ? monday0 + 1 : monday0;
    },
  },
  EOMONTH: simple((rt, value, months) => {
    const [y, m] = civilFromDays(localDays(rt, value));
    const first = addMonths(daysFromCivil(y, m, 1), whole(num(months), -MAX_SHIFT, MAX_SHIFT));
    if (first === null) return null;
    const [fy, fm] = civilFromDays(first);
    return new ExprDate(daysFromCivil(fy, fm, monthLength(fy, fm)));
  }),
  DATEVALUE: simple((_rt, t) => {
    const match = DATEVALUE.exec(t as string);
    if (!match) return null;
    const [y, m, d] = [Number(match[1]), Number(match[3]), Number(match[4])];
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > monthLength(y, m)) return null;
    return new ExprDate(daysFromCivil(y, m, d));
  }),
  FORMAT_DATE: {
    call(args, node, rt) {
      const fmt = String(literalArg(node, 1));
      const value = args[0]();
      return value === null ? null : formatDate(rt, value as ExprDate | ExprDateTime, fmt);
    },
  },
};

export const FUNCTIONS: Record<string, ExprFunction> = { ...logic, ...aggregates, ...info, ...maths, ...text, ...dates };
