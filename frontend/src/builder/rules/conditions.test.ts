import { describe, expect, it } from 'vitest';
import type { FieldDef } from '../types';
import { quote } from '../conditionRows';
import { blankRow, compileCondition, operatorsFor, parseCondition, type ConditionTree } from './conditions';

const FIELDS: FieldDef[] = [
  { key: 'name', type: 'text', label: '名称' },
  { key: 'amount', type: 'money', label: '金额' },
  { key: 'orders', type: 'number' },
  { key: 'region', type: 'select', options: ['华东', '华南', '华北'] },
  { key: 'tags', type: 'tags' },
  { key: 'vip', type: 'checkbox' },
  { key: 'last_contact', type: 'date' },
  { key: 'sales', type: 'member' },
  { key: 'total', type: 'formula', expr: 'amount * 2', result: 'money' },
  { key: 'lines', type: 'subtable', fields: [{ key: 'qty', type: 'number' }] },
];

const row = (field: string, op: string, value: ConditionTree['items'][number] extends never ? never : unknown) =>
  ({ kind: 'row', field, op, value }) as ConditionTree['items'][number];

describe('compileCondition', () => {
  it('writes rows joined by AND, values as literals of the field kind', () => {
    const tree: ConditionTree = {
      join: 'AND',
      items: [
        row('amount', 'gt', 100),
        row('region', 'in', ['华东', '华南']),
        row('tags', 'has_tag', '高价值客户'),
        row('name', 'contains', "O'Neil"),
        row('vip', 'eq', true),
        row('sales', 'eq', 'me'),
        row('last_contact', 'days_over', 30),
        row('last_contact', 'lt', '2026-01-01'),
        row('orders', 'blank', null),
      ],
    };
    expect(compileCondition(tree, FIELDS)).toBe(
      "amount > 100 AND region IN ('华东', '华南') AND HAS_TAG(tags, '高价值客户') AND CONTAINS(name, 'O''Neil')"
        + " AND vip = TRUE AND sales = CURRENT_USER() AND DAYS_SINCE(last_contact) > 30"
        + " AND last_contact < DATEVALUE('2026-01-01') AND ISBLANK(orders)",
    );
  });

  it('puts a group of the other join in brackets and leaves unfinished rows out', () => {
    const tree: ConditionTree = {
      join: 'OR',
      items: [
        row('amount', 'ge', 5000),
        { kind: 'group', join: 'AND', rows: [row('orders', 'gt', 3), row('region', 'ne', '华北')] as never },
        row('', 'eq', 1),
        row('amount', 'gt', null),
        row('region', 'in', []),
        { kind: 'group', join: 'AND', rows: [row('tags', 'not_has_tag', '流失')] as never },
      ],
    };
    expect(compileCondition(tree, FIELDS)).toBe(
      "amount >= 5000 OR (orders > 3 AND region != '华北') OR NOT HAS_TAG(tags, '流失')",
    );
  });

  it('is empty without rows (the rule then holds for every record)', () => {
    expect(compileCondition({ join: 'AND', items: [] }, FIELDS)).toBe('');
  });
});

describe('parseCondition', () => {
  const roundTrips = [
    'amount > 100',
    "amount > 100 AND region IN ('华东', '华南') AND HAS_TAG(tags, '高价值客户')",
    "amount >= 5000 OR (orders > 3 AND region != '华北') OR NOT HAS_TAG(tags, '流失')",
    "(amount > 1 OR vip = TRUE) AND NOT ISBLANK(region) AND region NOT IN ('华北')",
    "CONTAINS(name, 'O''Neil') AND NOT CONTAINS(name, 'test') AND ISBLANK(orders)",
    "sales = CURRENT_USER() AND DAYS_SINCE(last_contact) <= 7 AND last_contact >= DATEVALUE('2026-01-01')",
    'total < -5 AND owner != CURRENT_USER()',
  ];
  it.each(roundTrips)('restores the rows the builder wrote: %s', (text) => {
    const tree = parseCondition(text, FIELDS);
    expect(tree).not.toBeNull();
    expect(compileCondition(tree!, FIELDS)).toBe(text);
  });

  it('reads the same text written by hand, with other spacing and operators', () => {
    const tree = parseCondition("amount>100 and region<>'华北'", FIELDS)!;
    expect(tree.items).toEqual([row('amount', 'gt', 100), row('region', 'ne', '华北')]);
    expect(compileCondition(tree, FIELDS)).toBe("amount > 100 AND region != '华北'");
    expect(parseCondition('amount == 100', FIELDS)?.items).toEqual([row('amount', 'eq', 100)]);
  });

  it.each([
    'amount * 2 > 100', // arithmetic
    'SUM(lines.qty) > 3', // other functions, sub-table rows
    'customer.name = 1', // through a relation
    "(amount > 1 OR (orders > 2 AND vip = TRUE)) AND orders < 9", // two levels deep
    "region = 5", // a number for a choice
    "nope = 'x'", // not a field of the form
    'amount >', // does not parse
    'NOT (amount > 1)',
  ])('gives up on what it cannot draw: %s', (text) => {
    expect(parseCondition(text, FIELDS)).toBeNull();
  });

  it('opens an empty condition as an empty builder', () => {
    expect(parseCondition('', FIELDS)).toEqual({ join: 'AND', items: [] });
    expect(parseCondition(null, FIELDS)).toEqual({ join: 'AND', items: [] });
  });
});

describe('operators by field type', () => {
  it('offers comparisons for numbers, IN for choices, HAS_TAG for tags', () => {
    expect(operatorsFor('number').map((o) => o.key)).toEqual(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'blank', 'not_blank']);
    expect(operatorsFor('choice').map((o) => o.key)).toContain('in');
    expect(operatorsFor('list').map((o) => o.key)).toEqual(['has_tag', 'not_has_tag', 'blank', 'not_blank']);
    expect(operatorsFor('bool').map((o) => o.key)).toEqual(['eq']);
  });

  it('starts a row with an empty value of the right shape', () => {
    expect(blankRow(FIELDS[3])).toEqual({ kind: 'row', field: 'region', op: 'eq', value: '' });
    expect(blankRow(FIELDS[5])).toEqual({ kind: 'row', field: 'vip', op: 'eq', value: true });
  });

  it('quotes text the way the language reads it', () => {
    expect(quote("it's")).toBe("'it''s'");
    expect(quote('C:\\new')).toBe("'C:\\\\new'"); // a backslash stays one, not the start of a newline
  });

  it('keeps a backslash in a text value through writing and reading back', () => {
    const text = "CONTAINS(name, 'a\\\\b')";
    const tree = parseCondition(text, FIELDS);
    expect(tree?.items[0]).toMatchObject({ value: 'a\\b' });
    expect(compileCondition(tree!, FIELDS)).toBe(text);
  });
});
