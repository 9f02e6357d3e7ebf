import { describe, expect, it } from 'vitest';
import type { AppDraft } from '../types';
import { defaultsFor, newFilter, retype, targetFields } from './filters';
import { addWidget, fromLayout, removeWidget, toLayout, type DashboardDef } from './layout';

const APP: AppDraft = {
  key: 'shop',
  name: '小店',
  forms: [
    { key: 'order', name: '订单', fields: [
      { key: 'paid_at', type: 'date', label: '支付日期' },
      { key: 'status', type: 'select', label: '状态' },
      { key: 'customer', type: 'relation', target: 'customer', label: '客户' },
    ] },
    { key: 'customer', name: '客户', fields: [{ key: 'leader', type: 'member', label: '团长' }] },
  ],
  reports: [
    { key: 'gmv', name: 'GMV', source: 'order' },
    { key: 'buyers', name: '客户数', source: 'customer' },
  ],
};

describe('widgets on the grid', () => {
  it('places widgets without x/y in the first free spot, as the server does', () => {
    const layout = toLayout([
      { report: 'gmv', x: 0, y: 0, w: 16, h: 6 },
      { report: 'buyers', w: 8, h: 4 },
      { report: 'gmv' },
    ]);
    expect(layout).toEqual([
      { i: '0', x: 0, y: 0, w: 16, h: 6 },
      { i: '1', x: 16, y: 0, w: 8, h: 4 },
      { i: '2', x: 0, y: 6, w: 12, h: 6 },
    ]);
  });

  it('writes a moved or resized grid back to the widgets’ x, y, w, h, keeping titles', () => {
    const widgets = [{ report: 'gmv', x: 0, y: 0, w: 12, h: 6, title: '月度' }, { report: 'buyers', x: 12, y: 0, w: 12, h: 6 }];
    const moved = fromLayout(widgets, [{ i: '0', x: 0, y: 6, w: 24, h: 8 }, { i: '1', x: 0, y: 0, w: 12, h: 6 }]);
    expect(moved).toEqual([
      { report: 'gmv', x: 0, y: 6, w: 24, h: 8, title: '月度' },
      { report: 'buyers', x: 0, y: 0, w: 12, h: 6 },
    ]);
    // nothing moved: the very same array, so the designer makes no edit
    expect(fromLayout(widgets, toLayout(widgets))).toBe(widgets);
  });

  it('adds a widget under the others and removing one drops the filter targets of its report', () => {
    let board: DashboardDef = { key: 'main', name: '看板', widgets: [{ report: 'gmv', x: 0, y: 0, w: 24, h: 4 }] };
    board = addWidget(board, 'buyers');
    expect(board.widgets![1]).toEqual({ report: 'buyers', x: 0, y: 4, w: 12, h: 6 });
    board = { ...board, filters: [{ key: 'p', label: '日期', type: 'date_range', targets: { gmv: 'paid_at', buyers: 'created_at' } }] };
    board = removeWidget(board, 1);
    expect(board.widgets).toHaveLength(1);
    expect(board.filters![0].targets).toEqual({ gmv: 'paid_at' });
  });
});

describe('shared filters', () => {
  it('offer each report the fields its type compares, through relations too', () => {
    expect(targetFields(APP, 'gmv', 'date_range').map((f) => f.path)).toEqual(['paid_at', 'created_at', 'updated_at']);
    expect(targetFields(APP, 'gmv', 'member').map((f) => f.path)).toEqual(['customer.leader', 'created_by', 'owner']);
    expect(targetFields(APP, 'gmv', 'select').map((f) => f.path)).toEqual(['status']);
  });

  it('a new filter targets each report by its first fitting field; a new type keeps what still fits', () => {
    const filter = newFilter(APP, ['gmv', 'buyers'], 'period', '日期', 'date_range');
    expect(filter).toEqual({ key: 'period', label: '日期', type: 'date_range', targets: { gmv: 'paid_at', buyers: 'created_at' } });
    expect(retype(APP, { ...filter, default: 'this_month' }, 'member', ['gmv', 'buyers'])).toEqual({
      key: 'period', label: '日期', type: 'member', targets: { gmv: 'customer.leader', buyers: 'leader' },
    });
  });

  it('hand their defaults to a widget’s report as field values', () => {
    const board: DashboardDef = {
      key: 'main', name: '看板', widgets: [{ report: 'gmv' }],
      filters: [
        { key: 'period', label: '日期', type: 'date_range', default: 'last_6_months', targets: { gmv: 'paid_at' } },
        { key: 'who', label: '团长', type: 'member', targets: { gmv: 'customer.leader' } },
        { key: 'q', label: '备注', type: 'text', default: '加急', targets: { gmv: 'note' } },
      ],
    };
    expect(defaultsFor(board, 'gmv')).toEqual({ paid_at: 'last_6_months' });
    expect(defaultsFor(board, 'buyers')).toEqual({});
  });
});
