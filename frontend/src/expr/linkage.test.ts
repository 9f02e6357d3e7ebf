import { describe, expect, it } from 'vitest';
import type { FieldDef } from './evaluate';
import { linkageState, rowLinkageState, valuesToSubmit, type LinkageRule } from './linkage';

const ctx = { now: '2026-11-25T20:00:00+00:00', tz: 'Asia/Shanghai', userId: 7 };

const lines: FieldDef = {
  key: 'lines', type: 'subtable', fields: [
    { key: 'kind', type: 'select', options: ['goods', 'service'] },
    { key: 'qty', type: 'number', required: true },
    { key: 'hours', type: 'number' },
    { key: 'unit', type: 'select', options: ['kg', 'box', 'hour'] },
  ],
  linkage: [
    { when: "kind = 'service'", show: ['hours'], hide: ['qty'], options: { unit: ['hour'] } },
    { when: "kind = 'goods'", options: { unit: ['box', 'kg'] } },
  ],
};

const fields: FieldDef[] = [
  { key: 'status', type: 'select', options: ['paid', 'refunded', '已取消'] },
  { key: 'refund_reason', type: 'text' },
  { key: 'amount', type: 'money' },
  { key: 'approver', type: 'text' },
  { key: 'note', type: 'text', required: true },
  { key: 'vip', type: 'checkbox' },
  { key: 'paid_on', type: 'date' },
  { key: 'channel', type: 'select', options: [{ value: 'web', label: '网站' }, { value: 'shop', label: '门店' }, 'phone'] },
  { key: 'colors', type: 'multi_select', options: ['red', 'green', 'blue'] },
  lines,
];

const rules: LinkageRule[] = [
  { when: "status = 'refunded'", show: ['refund_reason'], require: ['refund_reason'] },
  { when: 'amount > 1000', require: ['approver'] },
  { when: 'vip', hide: ['note'] },
  { when: "status = '已取消'", show: ['refund_reason'] },
  { when: 'amount > 5000', options: { channel: ['shop'], colors: ['red'] } },
  { when: 'vip AND amount > 100', options: { channel: ['web', 'shop'], colors: ['blue'] } },
  { when: 'paid_on < TODAY() - 30', hide: ['amount'] },
];

const state = (values: Record<string, unknown>) => linkageState(rules, values, { fields, ctx });

describe('linkageState', () => {
  it('hides a field named in `show` until one of its rules holds', () => {
    expect(state({ status: 'paid' }).hidden.has('refund_reason')).toBe(true);
    expect(state({ status: 'refunded' }).hidden.has('refund_reason')).toBe(false);
    expect(state({ status: '已取消' }).hidden.has('refund_reason')).toBe(false); // either `show` rule suffices
    expect(state({}).hidden.has('refund_reason')).toBe(true);
  });

  it('hides a field named in the `hide` of a rule that holds', () => {
    expect(state({ vip: true }).hidden.has('note')).toBe(true);
    expect(state({ vip: false }).hidden.has('note')).toBe(false);
    expect(state({ paid_on: '2026-10-01' }).hidden.has('amount')).toBe(true); // TODAY() is the 26th in Shanghai
    expect(state({ paid_on: '2026-10-27' }).hidden.has('amount')).toBe(false);
  });

  it('requires what the field says or a holding rule says, but never a hidden field', () => {
    expect([...state({ status: 'paid', amount: 10 }).required]).toEqual(['note']);
    expect(state({ status: 'refunded' }).required).toEqual(new Set(['refund_reason', 'note']));
    expect(state({ amount: 1000.01 }).required.has('approver')).toBe(true);
    expect(state({ amount: 1000 }).required.has('approver')).toBe(false);
    expect(state({ vip: true }).required.has('note')).toBe(false); // hidden, so not required
  });

  it('counts an empty condition or an error as false', () => {
    // amount empty: `amount > 1000` is false, and NOT of an empty condition would be true — but no rule holds here
    const empty = state({ amount: null, status: null, vip: null });
    expect(empty.required.has('approver')).toBe(false);
    expect(empty.hidden.has('note')).toBe(false);
    const broken = linkageState([
      { when: 'IF(amount > 1, TRUE)', hide: ['note'] }, // empty when the amount is small
      { when: 'amount +', hide: ['vip'] }, // does not parse
      { when: 'FLOOR(1, 1e308 * 10)', hide: ['status'] }, // fails in Python too
      { when: 'NOT IF(amount > 1, TRUE)', hide: ['colors'] },
    ], { amount: 0.5 }, { fields, ctx });
    expect([...broken.hidden]).toEqual(['colors']);
  });

  it('narrows options to the union of the holding rules, in the field\'s own order', () => {
    expect(state({ amount: 10 }).options.get('channel')).toEqual(['web', 'shop', 'phone']);
    expect(state({ amount: 6000 }).options.get('channel')).toEqual(['shop']);
    expect(state({ amount: 6000, vip: true }).options.get('channel')).toEqual(['web', 'shop']);
    expect(state({ amount: 6000, vip: true }).options.get('colors')).toEqual(['red', 'blue']);
    expect(state({}).options.get('status')).toEqual(['paid', 'refunded', '已取消']);
    expect(state({}).options.has('note')).toBe(false);
  });

  it('evaluates each sub-table row with the sub-table\'s own rules', () => {
    const service = rowLinkageState(lines, { kind: 'service', qty: 1 }, { ctx });
    expect(service.hidden).toEqual(new Set(['qty']));
    expect(service.required.has('qty')).toBe(false);
    expect(service.options.get('unit')).toEqual(['hour']);
    const goods = rowLinkageState(lines, { kind: 'goods' }, { ctx });
    expect(goods.hidden).toEqual(new Set(['hours']));
    expect(goods.required).toEqual(new Set(['qty']));
    expect(goods.options.get('unit')).toEqual(['kg', 'box']);
    const blank = rowLinkageState(lines, {}, { ctx });
    expect(blank.options.get('unit')).toEqual(['kg', 'box', 'hour']);
  });
});

describe('valuesToSubmit', () => {
  it('clears hidden fields and choices outside the allowed options, row by row too', () => {
    const submitted = valuesToSubmit(rules, {
      status: 'paid', refund_reason: 'late', amount: 6000, channel: 'web', colors: ['red', 'green'], note: 'x',
      lines: [{ kind: 'service', qty: 2, hours: 3, unit: 'kg' }, { kind: 'goods', qty: 1, hours: 5, unit: 'box' }],
    }, { fields, ctx });
    expect(submitted).toEqual({
      status: 'paid', refund_reason: null, amount: 6000, channel: null, colors: ['red'], note: 'x',
      lines: [{ kind: 'service', qty: null, hours: 3, unit: null }, { kind: 'goods', qty: 1, hours: null, unit: 'box' }],
    });
  });

  it('leaves values alone when no rule applies', () => {
    const values = { status: 'refunded', refund_reason: 'late', amount: 10, channel: 'phone', note: 'n' };
    expect(valuesToSubmit(rules, values, { fields, ctx })).toEqual(values);
  });
});
