/**
 * The agreement corpus: every expression of tests/engines/expr/js_cases.py, evaluated by the Python engine
 * there, must give the same value here (same bits for numbers, same dates, same error code and position).
 */
import { describe, expect, it } from 'vitest';
import corpus from './cases.json';
import { evaluate, type EvalContext, type FieldDef, type FormSchema } from './evaluate';
import { ExprError, parse } from './parser';
import { ExprDate, ExprDateTime, isoDateTime, type Value } from './values';

interface Case {
  expr: string;
  env: string;
  ctx: string;
  result?: unknown;
  error?: { code: string; position: number; params: Record<string, unknown> };
}

const forms: Record<string, FormSchema> = Object.fromEntries(
  (corpus.forms as unknown as { key: string; fields: FieldDef[] }[]).map((form) => [form.key, form]),
);
const envs = corpus.envs as Record<string, Record<string, unknown>>;
const ctxs = corpus.ctxs as Record<string, EvalContext>;
const cases = corpus.cases as Case[];

/** A value in the corpus's JSON: typed wrappers for dates, date-times and non-finite numbers. */
function encode(value: Value): unknown {
  if (value instanceof ExprDate) return { date: value.toString() };
  if (value instanceof ExprDateTime) return { datetime: isoDateTime(value.us) };
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { number: Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf' };
  }
  if (Array.isArray(value)) return value.map(encode);
  return value;
}

function run(c: Case): unknown {
  return encode(evaluate(parse(c.expr), { values: envs[c.env], fields: forms[corpus.form].fields, forms }, ctxs[c.ctx]));
}

describe('agreement with the Python evaluator', () => {
  it('covers every function of the language', () => {
    const names = new Set(cases.flatMap((c) => [...c.expr.matchAll(/([A-Z_]+)\(/g)].map((m) => m[1])));
    const functions = ['IF', 'IFS', 'AND', 'OR', 'NOT', 'ISBLANK', 'BLANKVALUE', 'SUM', 'COUNT', 'AVG', 'MIN', 'MAX',
      'CURRENT_USER', 'TODAY', 'NOW', 'HAS_TAG', 'ROUND', 'ABS', 'FLOOR', 'CEILING', 'INT', 'MOD', 'POWER', 'SQRT',
      'CONCAT', 'LEN', 'LEFT', 'RIGHT', 'MID', 'FIND', 'CONTAINS', 'UPPER', 'LOWER', 'TRIM', 'SUBSTITUTE', 'TEXT',
      'DATEADD', 'DATEDIF', 'DAYS_SINCE', 'YEAR', 'MONTH', 'DAY', 'WEEKDAY', 'EOMONTH', 'DATEVALUE', 'FORMAT_DATE'];
    expect(functions.filter((name) => !names.has(name))).toEqual([]);
    expect(cases.length).toBeGreaterThan(300);
  });

  const valued = cases.filter((c) => !c.error);
  it.each(valued.map((c) => [`${c.expr}  [${c.env}, ${c.ctx}]`, c] as const))('%s', (_title, c) => {
    const got = run(c);
    if (typeof c.result === 'number' && typeof got === 'number') {
      expect(Object.is(got, c.result) || (got === 0 && c.result === 0)).toBe(true);
      expect(got).toBe(c.result);
    } else {
      expect(got).toEqual(c.result);
    }
  });

  const failing = cases.filter((c) => c.error);
  it.each(failing.map((c) => [c.expr.slice(0, 60), c] as const))('refuses %s', (_title, c) => {
    let error: unknown;
    try {
      parse(c.expr);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ExprError);
    const e = error as ExprError;
    expect({ code: e.code, position: e.position }).toEqual({ code: c.error!.code, position: c.error!.position });
    for (const [key, value] of Object.entries(c.error!.params)) expect(e.params[key]).toEqual(value);
  });
});
