import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate';
import { ExprError, parse } from './parser';
import { ExprDate, ExprDateTime } from './values';

const ctx = { now: '2026-11-25T20:00:00Z', tz: 'Asia/Shanghai', userId: 7 };

function errorOf(text: string): ExprError {
  try {
    parse(text);
  } catch (error) {
    return error as ExprError;
  }
  throw new Error(`${text} parsed`);
}

describe('parse', () => {
  it('keeps positions in characters, as the server counts them', () => {
    const node = parse("'中文😀' & amount");
    expect(node).toMatchObject({ type: 'binary', op: '&', start: 0, end: 14, right: { type: 'name', start: 8, end: 14 } });
    expect(errorOf("'😀' + #").position).toBe(6);
    expect(errorOf('amount >').message).toBe('expression error at character 9: expected a value, a field, a function or \'(\', found end of expression');
    expect(errorOf('amount >').params).toMatchObject({ column: 9, found: 'end of expression' });
  });

  it('reads keywords and function names in any case and normalises operators', () => {
    expect(parse('a <> b and not c')).toMatchObject({ op: 'AND', left: { op: '!=' }, right: { type: 'unary', op: 'NOT' } });
    expect(parse('round(x, 2)')).toMatchObject({ type: 'call', name: 'ROUND' });
    expect(parse('x not in (1, 2)')).toMatchObject({ type: 'in', negated: true });
  });
});

describe('evaluate', () => {
  const fields = [
    { key: 'paid_on', type: 'date' }, { key: 'paid_at', type: 'datetime' }, { key: 'vip', type: 'checkbox' },
    { key: 'customer', type: 'relation', target: 'customer' },
    { key: 'lines', type: 'subtable', fields: [{ key: 'qty', type: 'number' }, { key: 'price', type: 'money' }] },
  ];
  const run = (text: string, values: Record<string, unknown>) => evaluate(parse(text), { values, fields }, ctx);

  it('reads the API\'s JSON by the field definitions', () => {
    expect(run('paid_on + 1', { paid_on: '2026-02-28' })).toEqual(new ExprDate(20513));
    expect(String(run('paid_on + 1', { paid_on: '2026-02-28' }))).toBe('2026-03-01');
    expect(run('paid_at', { paid_at: '2026-11-20T10:15:00+08:00' })).toBeInstanceOf(ExprDateTime);
    expect(run("paid_at & ''", { paid_at: '2026-11-20T02:15:00Z' })).toBe('2026-11-20 10:15:00');
    expect(run('vip', {})).toBe(false);
    expect(run('customer = 3', { customer: { id: 3, title: '张三' } })).toBe(true);
    expect(run('SUM(lines.qty * lines.price)', { lines: [{ qty: 2, price: 9.9 }, { qty: null, price: 1 }] })).toBe(19.8);
    expect(run('owner = CURRENT_USER()', { owner: { id: 7 } })).toBe(true);
  });

  it('refuses rows outside an aggregate and unknown functions, with the place', () => {
    expect(() => run('lines.qty + 1', {})).toThrow(ExprError);
    expect(() => run('1 + NOPE(1)', {})).toThrowError(/character 5/);
  });
});
