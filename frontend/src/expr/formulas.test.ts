import { describe, expect, it } from 'vitest';
import type { FieldDef } from './evaluate';
import { liveFormulas } from './formulas';

const ctx = { now: '2026-11-25T20:00:00+00:00', tz: 'Asia/Shanghai', userId: 7 };

const fields = [
  { key: 'qty', type: 'number' },
  { key: 'price', type: 'money' },
  { key: 'discount', type: 'percent' },
  { key: 'lines', type: 'subtable', fields: [{ key: 'n', type: 'number' }, { key: 'p', type: 'money' }] },
  // read before the formula they read: the passes settle the chain
  { key: 'total', type: 'formula', expr: 'subtotal * (1 - discount)', result: 'money' },
  { key: 'subtotal', type: 'formula', expr: 'qty * price + SUM(lines.n * lines.p)', result: 'money' },
  { key: 'label', type: 'formula', expr: "IF(total > 100, '大单', '小单')", result: 'text' },
  { key: 'leader_level', type: 'formula', expr: 'customer.level', result: 'text' },
] as unknown as FieldDef[];

describe('formulas as the record is typed', () => {
  it('works out chains of formulas, sub-table aggregates included', () => {
    const values = { qty: 2, price: 30, discount: 0.1, lines: [{ n: 1, p: 50 }, { n: 2, p: 10 }] };
    const live = liveFormulas(values, { fields, ctx });
    expect(live.subtotal).toBe(130);
    expect(live.total).toBeCloseTo(117);
    expect(live.label).toBe('大单');
  });

  it('follows each keystroke and leaves out what it cannot work out', () => {
    const live = liveFormulas({ qty: 1, price: 20, discount: 0, lines: [] }, { fields, ctx });
    expect(live.subtotal).toBe(20);
    expect(live.label).toBe('小单');
    expect('leader_level' in live).toBe(false); // reads through a relation: the server's value stays
  });
});
