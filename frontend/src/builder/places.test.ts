import { describe, expect, it } from 'vitest';
import { placeOf, problemCounts, suggestKey } from './places';
import type { AppDraft } from './types';

const app: AppDraft = {
  key: 'shop',
  name: '小店',
  forms: [
    { key: 'customer', name: '客户', fields: [] },
    { key: 'order', name: '订单', fields: [] },
  ],
  flows: [{ key: 'flow_1', name: '审批' }],
};

describe('places', () => {
  it('names the item a pointer lands in', () => {
    const place = placeOf(app, '/forms/1/fields/3/expr');
    expect(place.section).toBe('forms');
    expect(place.item?.key).toBe('order');
    expect(place.rest).toBe('/fields/3/expr');
    expect(placeOf(app, '/menus/0/form')).toEqual({ section: null, item: null, rest: '/menus/0/form' });
  });

  it('counts problems per item', () => {
    const counts = problemCounts(app, [
      { path: '/forms/1/fields/0/key', message: 'x' },
      { path: '/forms/1', message: 'y' },
      { path: '/flows/0/nodes/1', message: 'z' },
      { path: '/name', message: 'w' },
    ]);
    expect(Object.fromEntries(counts)).toEqual({ 'forms/order': 2, 'flows/flow_1': 1, settings: 1 });
  });

  it('suggests an unused key from the name or the section', () => {
    expect(suggestKey(app, 'forms', 'Leads 2026')).toBe('leads_2026');
    expect(suggestKey(app, 'forms', 'Customer')).toBe('customer_1');
    expect(suggestKey(app, 'flows', '请假审批')).toBe('flow_2');
    expect(suggestKey(app, 'reports', '2026 sales')).toBe('sales');
  });
});
