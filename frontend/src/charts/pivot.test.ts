import { describe, expect, it } from 'vitest';
import { leafColumns, pivotLayout } from './pivot';
import type { PivotPayload } from './types';

const head = (key: string, label: string, role: 'dimension' | 'measure') => ({ key, label, type: 'number', role });

// GMV and orders by month × leader, as engines/report/charts shapes it.
const PIVOT: PivotPayload = {
  type: 'pivot',
  row_fields: [head('month', '月份', 'dimension')],
  column_fields: [head('leader', '团长', 'dimension')],
  values: [head('gmv', '销售额', 'measure'), head('orders', '订单数', 'measure')],
  row_headers: [['2026-01'], ['2026-02']],
  column_headers: [['王团长'], ['李团长']],
  cells: [
    [[3000, 25], [1800, 12]],
    [null, [2500, 20]],
  ],
  drill: [
    ['w-jan', 'l-jan'],
    [null, 'l-feb'],
  ],
  row_totals: [[4800, 37], [2500, 20]],
  column_totals: [[3000, 25], [4300, 32]],
  grand_total: [7300, 57],
};

describe('pivotLayout', () => {
  it('nests the measures under each leader, then a total column', () => {
    const { columns } = pivotLayout(PIVOT, 'zh-CN');
    expect(columns.map((c) => c.title)).toEqual(['月份', '王团长', '李团长', '合计']);
    expect(columns[1].children?.map((c) => c.title)).toEqual(['销售额', '订单数']);
    expect(leafColumns(columns).map((c) => c.key)).toEqual(['r0', 'c0m0', 'c0m1', 'c1m0', 'c1m1', 't0', 't1']);
  });

  it('fills cells, leaves empty ones blank and keeps each cell drill', () => {
    const { rows } = pivotLayout(PIVOT, 'zh-CN');
    expect(rows[0].cells).toEqual({
      r0: '2026-01', c0m0: '3,000', c0m1: '25', c1m0: '1,800', c1m1: '12', t0: '4,800', t1: '37',
    });
    expect(rows[1].cells.c0m0).toBe('');
    expect(rows[1].drill).toEqual({ c1m0: 'l-feb', c1m1: 'l-feb' });
  });

  it('ends with a totals row holding the grand total', () => {
    const { summary } = pivotLayout(PIVOT, 'en-US');
    expect(summary).toEqual({
      r0: 'Total', c0m0: '3,000', c0m1: '25', c1m0: '4,300', c1m1: '32', t0: '7,300', t1: '57',
    });
  });

  it('without column dimensions puts one measure per column and totals it with the report total', () => {
    const flat: PivotPayload = {
      ...PIVOT,
      column_fields: [],
      values: [head('aov', '客单价', 'measure')],
      column_headers: [[]],
      cells: [[[120]], [[150]]],
      drill: undefined,
      row_totals: undefined,
      column_totals: [[null]],
      grand_total: [131.5],
    };
    const layout = pivotLayout(flat, 'zh-CN');
    expect(layout.columns.map((c) => c.title)).toEqual(['月份', '客单价']);
    expect(layout.summary).toEqual({ r0: '合计', c0m0: '131.5' });
  });

  it('has no totals row when the pivot has no totals', () => {
    const bare = { ...PIVOT, row_totals: undefined, column_totals: undefined, grand_total: undefined };
    const { summary } = pivotLayout(bare, 'zh-CN');
    expect(summary).toBeNull();
  });
});
