/**
 * Values of the expression language in the browser and the arithmetic python.py does on them, to the bit:
 * numbers are doubles (as Python floats; money is read as a float there too), dates and date-times are the
 * classes below, text compares by code point, and numbers are taken at 15 significant digits exactly as
 * Python's format(x, ".15g") does (round half to even on the exact binary value).
 */

export class ExprDate {
  /** Days since 1970-01-01 (proleptic Gregorian calendar, years 1–9999). */
  constructor(readonly days: number) {}
  toString(): string {
    return isoDate(this.days);
  }
}

export class ExprDateTime {
  /** Microseconds since 1970-01-01T00:00:00 UTC (a stored date-time is a naive UTC moment). */
  constructor(readonly us: bigint) {}
  toString(): string {
    return isoDateTime(this.us) + 'Z';
  }
}

export type Value = null | number | string | boolean | ExprDate | ExprDateTime | Value[] | { [key: string]: unknown };

// ---- Python's rules for plain values ------------------------------------------------------------------------------
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

export function refId(value: unknown): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !isTemporal(value)
    ? ((value as Record<string, unknown>).id ?? null)
    : value;
}

function isTemporal(value: unknown): boolean {
  return value instanceof ExprDate || value instanceof ExprDateTime;
}

/** Python's == on two values of the language. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b; // True == 1 in Python
  if (typeof a === 'number' && typeof b === 'boolean') return a === Number(b);
  if (a instanceof ExprDate && b instanceof ExprDate) return a.days === b.days;
  if (a instanceof ExprDateTime && b instanceof ExprDateTime) return a.us === b.us;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => pyEquals(item, b[i]));
  return false;
}

/** Python's < on two values: numbers, text by code point, dates, date-times. */
export function pyLess(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b) < 0;
  if (a instanceof ExprDate && b instanceof ExprDate) return a.days < b.days;
  if (a instanceof ExprDateTime && b instanceof ExprDateTime) return a.us < b.us;
  return (a as number) < (b as number);
}

export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code-point order only where a surrogate meets U+E000–U+FFFF
    const cx = a.codePointAt(i)!;
    const cy = b.codePointAt(i)!;
    return cx < cy ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Python's min(a, b) and max(a, b) on floats (NaN included): the first unless the second is smaller/larger. */
export function pyMin(a: number, b: number): number {
  return b < a ? b : a;
}
export function pyMax(a: number, b: number): number {
  return b > a ? b : a;
}

/** A count or a number of digits: the fraction dropped (toward zero), kept within [low, high]. */
export function whole(value: number, low: number, high: number): number {
  return pyMax(low, pyMin(high, Math.trunc(pyMax(-1e18, pyMin(1e18, value)))));
}

/** Python's text[start:stop] over code points, negative indices counting from the end. */
export function pySlice(chars: string[], start: number, stop?: number): string {
  const n = chars.length;
  const norm = (i: number) => (i < 0 ? Math.max(0, n + i) : Math.min(n, i));
  const from = norm(start);
  const to = stop === undefined ? n : norm(stop);
  return to > from ? chars.slice(from, to).join('') : '';
}

// ---- 15 significant digits --------------------------------------------------------------------------------------
/** A decimal number digits · 10^exp (digits ≥ 0) with a sign. */
export interface Decimal {
  negative: boolean;
  digits: bigint;
  exp: number;
}

const view = new DataView(new ArrayBuffer(8));

/** The exact decimal value of a finite double. */
function exactDecimal(x: number): Decimal {
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const negative = high >>> 31 === 1;
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  let exponent: number;
  if (biased === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  if (mantissa === 0n) return { negative, digits: 0n, exp: 0 };
  if (exponent >= 0) return { negative, digits: mantissa << BigInt(exponent), exp: 0 };
  return { negative, digits: mantissa * 5n ** BigInt(-exponent), exp: exponent };
}

/** x rounded to 15 significant digits, half to even: Decimal(format(x, ".15g")) in Python. */
export function fifteen(x: number): Decimal {
  const exact = exactDecimal(x);
  const length = exact.digits.toString().length;
  if (length <= 15) return exact;
  const drop = length - 15;
  const unit = 10n ** BigInt(drop);
  let q = exact.digits / unit;
  const r = exact.digits % unit;
  const half = unit / 2n;
  if (r > half || (r === half && q % 2n === 1n)) q += 1n;
  return { negative: exact.negative, digits: q, exp: exact.exp + drop };
}

/** floor of a decimal, as a BigInt. */
function floorDecimal(d: Decimal): bigint {
  if (d.exp >= 0) return (d.negative ? -d.digits : d.digits) * 10n ** BigInt(d.exp);
  const unit = 10n ** BigInt(-d.exp);
  const q = d.digits / unit;
  if (!d.negative) return q;
  return d.digits % unit === 0n ? -q : -q - 1n;
}

/** floor(d + 0.5) for d ≥ 0. */
function floorHalfUp(d: Decimal): bigint {
  if (d.exp >= 0) return d.digits * 10n ** BigInt(d.exp);
  const unit = 10n ** BigInt(-d.exp);
  const q = d.digits / unit;
  return 2n * (d.digits % unit) >= unit ? q + 1n : q;
}

function decimalNumber(d: Decimal): number {
  return Number(`${d.negative ? '-' : ''}${d.digits}e${d.exp}`);
}

/** A number as text: 15 significant digits, plain notation, no trailing zeros (number_text). */
export function numberText(x: number): string {
  if (x === 0) return '0';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x < 0 ? '-Infinity' : 'Infinity';
  const d = fifteen(Math.abs(x));
  let digits = d.digits.toString();
  let exp = d.exp;
  while (digits.length > 1 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp++;
  }
  let body: string;
  if (exp >= 0) body = digits + '0'.repeat(exp);
  else if (digits.length > -exp) body = digits.slice(0, digits.length + exp) + '.' + digits.slice(digits.length + exp);
  else body = '0.' + '0'.repeat(-exp - digits.length) + digits;
  return x < 0 ? '-' + body : body;
}

/** 10.0 ** k as CPython computes it (glibc pow): correctly rounded but for two powers. */
export function powerOfTen(k: number): number {
  if (k === 23) return 1.0000000000000001e23;
  if (k === 210) return 1.0000000000000001e210;
  return Number(`1e${k}`);
}

/** x rounded half away from zero to `digits` decimals, at 15 significant digits (round_half_away). */
export function roundHalfAway(x: number, digits: number): number {
  const p = powerOfTen(Math.abs(digits));
  const y = digits >= 0 ? Math.abs(x) * p : Math.abs(x) / p;
  if (!(y < 1e15)) return x;
  const n = Number(floorHalfUp(fifteen(y)));
  const back = digits >= 0 ? n / p : n * p;
  const negative = x < 0 || Object.is(x, -0);
  return (negative ? -Math.abs(back) : Math.abs(back)) + 0;
}

/** floor of q taken to 15 significant digits (0.3 / 0.1 → 3, not 2). */
export function floor15(q: number): number {
  return Number(floorDecimal(fifteen(q)));
}

/** n · s the way FLOOR and CEILING write it back (multiple in math.py). */
export function multiple(n: number, s: number): number {
  const k = 1.0 / s;
  if (Number.isFinite(k) && k === Math.floor(k) && k !== 0) return pyDivide(n, k);
  if (s === Math.floor(s)) return n * s;
  const product = n * s;
  return Number.isFinite(product) ? decimalNumber(fifteen(product)) : product;
}

/** Python's float division, which raises on a zero divisor (surfaced as an error, as the server fails). */
export function pyDivide(a: number, b: number): number {
  if (b === 0) throw new PythonError('ZeroDivisionError');
  return a / b;
}

/** Python raised where the language promises a value: the server fails here too, so the browser says so. */
export class PythonError extends Error {
  constructor(kind: string) {
    super(kind);
    this.name = 'PythonError';
  }
}

/** TEXT's number formats: x rounded half away from zero to `places`, from whole units; null past 15 digits. */
export function formatNumber(x: number, group: boolean, places: number, percent: boolean): string | null {
  const v = percent ? x * 100 : x;
  const y = Math.abs(v) * powerOfTen(places);
  if (!(y < 1e15)) return null;
  const units = floorHalfUp(fifteen(y));
  const scale = 10n ** BigInt(places);
  const wholePart = (units / scale).toString();
  let body = group ? wholePart.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : wholePart;
  if (places) body += '.' + (units % scale).toString().padStart(places, '0');
  return (v < 0 && units !== 0n ? '-' : '') + body + (percent ? '%' : '');
}

// ---- the calendar -------------------------------------------------------------------------------------------------
export const US_PER_DAY = 86_400_000_000n;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

export const FIRST_DAY = daysFromCivil(1, 1, 1);
export const LAST_DAY = daysFromCivil(9999, 12, 31);

export function onCalendar(days: number): boolean {
  return days >= FIRST_DAY && days <= LAST_DAY;
}

export function monthLength(year: number, month: number): number {
  return daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - daysFromCivil(year, month, 1);
}

/** Monday = 0 … Sunday = 6, as Python's date.weekday(). */
export function weekday(days: number): number {
  return (((days + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function isoDate(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
}

/** Wall-clock parts of a microsecond count (taken as UTC). */
export function wallParts(us: bigint): { days: number; hour: number; minute: number; second: number; micro: number } {
  let days = us / US_PER_DAY;
  let rest = us % US_PER_DAY;
  if (rest < 0n) {
    rest += US_PER_DAY;
    days -= 1n;
  }
  const micro = Number(rest % 1_000_000n);
  const seconds = Number(rest / 1_000_000n);
  return { days: Number(days), hour: Math.floor(seconds / 3600), minute: Math.floor(seconds / 60) % 60, second: seconds % 60, micro };
}

export function isoDateTime(us: bigint): string {
  const p = wallParts(us);
  const base = `${isoDate(p.days)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
  return p.micro ? `${base}.${pad(p.micro, 6)}` : base;
}

// ---- time zones (Intl gives the offset of a zone at a moment; the rest is arithmetic) --------------------------
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric',
      minute: 'numeric', second: 'numeric', era: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's UTC offset in seconds at a moment given in seconds since the epoch. */
export function offsetAt(tz: string, epochSeconds: number): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  const parts: Record<string, string> = {};
  for (const part of formatter(tz).formatToParts(new Date(epochSeconds * 1000))) parts[part.type] = part.value;
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  const wall = daysFromCivil(year, Number(parts.month), Number(parts.day)) * 86400 +
    Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
  return wall - epochSeconds;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** A stored (UTC) moment as wall-clock microseconds in the zone (local_datetime). */
export function toWall(tz: string, us: bigint): bigint {
  const offset = offsetAt(tz, Number(floorDiv(us, 1_000_000n)));
  return us + BigInt(offset) * 1_000_000n;
}

/** Wall-clock microseconds in the zone → the UTC moment, as zoneinfo reads a naive time with fold=0: in a gap
 * or an overlap the offset in force before the change applies. */
export function fromWall(tz: string, wall: bigint): bigint {
  const t = Number(floorDiv(wall, 1_000_000n));
  const before = offsetAt(tz, t - 86400);
  const after = offsetAt(tz, t + 86400);
  let offset = before;
  if (offsetAt(tz, t - before) !== before && offsetAt(tz, t - after) === after) offset = after;
  return wall - BigInt(offset) * 1_000_000n;
}

export function dateTimeOnCalendar(us: bigint): boolean {
  const days = Number(floorDiv(us, US_PER_DAY));
  return onCalendar(days);
}

// ---- reading the API's JSON -------------------------------------------------------------------------------------
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_TEXT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/;

export function parseDate(text: string): ExprDate | null {
  const match = DATE_TEXT.exec(text.trim()) ?? /^(\d{4})-(\d{2})-(\d{2})[T ]/.exec(text.trim());
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > monthLength(y, m)) return null;
  return new ExprDate(daysFromCivil(y, m, d));
}

/** An ISO 8601 date-time; one without an offset is a wall-clock time in the zone (as the server reads it). */
export function parseDateTime(text: string, tz: string): ExprDateTime | null {
  const match = DATETIME_TEXT.exec(text.trim());
  if (!match) return null;
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(match[i]));
  const s = Number(match[6] ?? 0);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > monthLength(y, mo) || h > 23 || mi > 59 || s > 59) return null;
  const micro = Number((match[7] ?? '').padEnd(6, '0'));
  const wall = BigInt(daysFromCivil(y, mo, d)) * US_PER_DAY + BigInt(((h * 60 + mi) * 60 + s) * 1_000_000 + micro);
  const zone = match[8];
  if (zone === undefined) return new ExprDateTime(fromWall(tz, wall));
  if (zone === 'Z') return new ExprDateTime(wall);
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(/:/g, '');
  const offset = Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || 0) * 60 + Number(digits.slice(4, 6) || 0);
  return new ExprDateTime(wall - BigInt(sign * offset) * 1_000_000n);
}

// ---- Python's timedelta(days=x) -------------------------------------------------------------------------------
const MAX_DELTA_DAYS = 999_999_999n;

/** timedelta(days=x) in microseconds, built as CPython's C constructor builds it (whole days exactly, the
 * fraction in double arithmetic, the leftover rounded half to even); null where Python raises. */
export function deltaDays(x: number): bigint | null {
  if (!Number.isFinite(x)) return null; // OverflowError / ValueError
  const intpart = Math.trunc(x);
  const fracpart = x - intpart;
  let total = BigInt(intpart) * US_PER_DAY;
  if (fracpart !== 0) {
    const scaled = 86_400_000_000 * fracpart;
    const scaledInt = Math.trunc(scaled);
    total += BigInt(scaledInt);
    const leftover = scaled - scaledInt;
    if (leftover) {
      let wholeUs = Math.sign(leftover) * Math.round(Math.abs(leftover)); // C round(): half away from zero
      if (Math.abs(wholeUs - leftover) === 0.5) {
        const odd = Number(((total % 2n) + 2n) % 2n);
        wholeUs = 2.0 * Math.sign((leftover + odd) * 0.5) * Math.round(Math.abs((leftover + odd) * 0.5)) - odd;
      }
      total += BigInt(wholeUs);
    }
  }
  const days = floorDiv(total, US_PER_DAY);
  if (days > MAX_DELTA_DAYS || days < -MAX_DELTA_DAYS) return null;
  return total;
}
