import { describe, expect, it } from 'vitest';
import type { AppDraft } from '../types';
import { switchChart } from './chart';
import { compileRows, parseRows, type FilterRow } from './filters';
import {
  addMeasure, changeSource, moveItem, removeAt, setDimension, setMeasure, sourceFields, sources, type ReportDef,
} from './model';
import { dropField } from './ReportDesigner';

const APP: AppDraft = {
  key: 'shop',
  name: '小店',
  forms: [
    {
      key: 'order', name: '订单', fields: [
        { key: 'no', type: 'text', label: '单号' },
        { key: 'status', type: 'select', label: '状态' },
        { key: 'amount', type: 'money', label: '金额' },
        { key: 'paid_at', type: 'date', label: '支付日期' },
        { key: 'customer', type: 'relation', target: 'customer', label: '客户' },
        { key: 'photos', type: 'image', label: '照片' },
        { key: 'lines', type: 'subtable', label: '明细', fields: [
          { key: 'product', type: 'text', label: '商品' },
          { key: 'qty', type: 'number', label: '数量' },
        ] },
      ],
    },
    {
      key: 'customer', name: '客户', fields: [
        { key: 'name', type: 'text', label: '姓名' },
        { key: 'leader', type: 'member', label: '团长' },
      ],
    },
  ],
};

const blank: ReportDef = { key: 'r', name: 'R', source: 'order', dimensions: [], measures: [], chart: { type: 'table' } };
const field = (path: string, source = 'order') => sourceFields(APP, source).find((f) => f.path === path)!;

describe('the fields a report offers', () => {
  it('lists the form’s fields, one relation step further and the system fields, never images or sub-tables', () => {
    const paths = sourceFields(APP, 'order').map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['status', 'amount', 'customer', 'customer.leader', 'customer.name', 'created_at']));
    expect(paths).not.toContain('photos');
    expect(paths).not.toContain('lines');
  });

  it('offers sub-table rows as a source, reading the parent through its form key', () => {
    expect(sources(APP).map((s) => s.key)).toEqual(['order', 'order.lines', 'customer']);
    const paths = sourceFields(APP, 'order.lines').map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['product', 'qty', 'order', 'order.paid_at', 'order.status']));
  });
});

describe('dropping fields', () => {
  it('makes a select a dimension and a money field a summed measure, with generated keys', () => {
    let report = dropField(blank, 'dimensions', field('status'));
    report = dropField(report, 'measures', field('amount'));
    expect(report.dimensions).toEqual([{ field: 'status', as: 'status' }]);
    expect(report.measures).toEqual([{ agg: 'sum', field: 'amount', as: 'sum_amount' }]);
  });

  it('cuts a date dimension by month and counts a text measure', () => {
    let report = dropField(blank, 'dimensions', field('paid_at'));
    report = dropField(report, 'measures', field('customer.name'));
    expect(report.dimensions).toEqual([{ field: 'paid_at', bucket: 'month', as: 'paid_at_month' }]);
    expect(report.measures).toEqual([{ agg: 'count', field: 'customer.name', as: 'count_customer_name' }]);
  });

  it('keeps keys unique and the record count needs no field', () => {
    let report = addMeasure(blank);
    report = addMeasure(report);
    report = dropField(report, 'measures', field('amount'));
    report = dropField(report, 'measures', field('amount'));
    expect(report.measures!.map((m) => m.as)).toEqual(['count', 'count_2', 'sum_amount', 'sum_amount_2']);
  });
});

describe('editing dimensions and measures', () => {
  it('a bucket change renames a generated key and the chart and sort follow', () => {
    let report = dropField(blank, 'dimensions', field('paid_at'));
    report = dropField(report, 'measures', field('amount'));
    report = { ...switchChart(report, 'line'), sort: [{ by: 'paid_at_month' }] };
    report = setDimension(report, 0, { bucket: 'quarter' });
    expect(report.dimensions![0]).toEqual({ field: 'paid_at', bucket: 'quarter', as: 'paid_at_quarter' });
    expect(report.chart).toEqual({ type: 'line', x: 'paid_at_quarter', y: ['sum_amount'] });
    expect(report.sort).toEqual([{ by: 'paid_at_quarter' }]);
    report = setDimension(report, 0, { bucket: undefined });
    expect(report.dimensions![0]).toEqual({ field: 'paid_at', as: 'paid_at' });
  });

  it('an agg change renames a generated key, but not one the person wrote', () => {
    let report = dropField(blank, 'measures', field('amount'));
    report = setMeasure(report, 0, { agg: 'avg' });
    expect(report.measures![0]).toEqual({ agg: 'avg', field: 'amount', as: 'avg_amount' });
    report = setMeasure(report, 0, { as: 'gmv' });
    report = setMeasure(report, 0, { agg: 'max' });
    expect(report.measures![0]).toEqual({ agg: 'max', field: 'amount', as: 'gmv' });
  });

  it('a label the designer gave follows the aggregation; one the person wrote stays', () => {
    const labelOf = (m: { agg: string; field?: string }) => `${m.field ?? '记录'}·${m.agg}`;
    let report = addMeasure(blank, field('amount'), labelOf);
    expect(report.measures![0]).toEqual({ agg: 'sum', field: 'amount', as: 'sum_amount', label: 'amount·sum' });
    report = setMeasure(report, 0, { agg: 'avg' }, labelOf);
    expect(report.measures![0].label).toBe('amount·avg');
    report = setMeasure(report, 0, { label: '客单价' }, labelOf);
    report = setMeasure(report, 0, { agg: 'max' }, labelOf);
    expect(report.measures![0].label).toBe('客单价');
  });

  it('a dimension moved first becomes the chart’s default x', () => {
    let report = dropField(blank, 'dimensions', field('status'));
    report = dropField(report, 'dimensions', field('paid_at'));
    report = moveItem(report, 'dimensions', 1, 0);
    expect(report.dimensions!.map((d) => d.as)).toEqual(['paid_at_month', 'status']);
    expect(switchChart(addMeasure(report), 'line').chart).toMatchObject({ x: 'paid_at_month', series: 'status' });
  });

  it('removing a measure forgets it in the chart', () => {
    let report = dropField(blank, 'dimensions', field('status'));
    report = dropField(report, 'measures', field('amount'));
    report = addMeasure(report);
    report = switchChart(report, 'bar');
    report = removeAt(report, 'measures', 0);
    expect(report.chart).toEqual({ type: 'bar', x: 'status', y: ['count'] });
  });

  it('a new source keeps only the record count', () => {
    let report = addMeasure(dropField(blank, 'dimensions', field('status')));
    report = dropField(report, 'measures', field('amount'));
    report = changeSource({ ...report, filter: "status = 'paid'" }, 'customer');
    expect(report).toMatchObject({ source: 'customer', dimensions: [], measures: [{ agg: 'count', as: 'count' }] });
    expect(report.filter).toBeUndefined();
  });
});

describe('chart switch', () => {
  const report = [field('status'), field('paid_at')].reduce(
    (r, f) => dropField(r, 'dimensions', f),
    addMeasure(dropField(blank, 'measures', field('amount'))),
  );

  it('a bar chart takes the first dimension along x, the second as series with one measure', () => {
    expect(switchChart(report, 'bar').chart).toEqual({ type: 'bar', x: 'status', y: ['sum_amount'], series: 'paid_at_month' });
  });

  it('a pie takes one measure, a KPI its value, a heatmap both dimensions, a table nothing', () => {
    expect(switchChart(report, 'pie').chart).toEqual({ type: 'pie', x: 'status', y: ['sum_amount'] });
    expect(switchChart(report, 'kpi').chart).toEqual({ type: 'kpi', value: 'sum_amount' });
    expect(switchChart(report, 'heatmap').chart).toEqual({ type: 'heatmap', x: 'status', y: 'paid_at_month', value: 'sum_amount' });
    expect(switchChart(report, 'table').chart).toEqual({ type: 'table' });
  });

  it('with one dimension every measure goes up y; the title stays', () => {
    const one = removeAt(report, 'dimensions', 1);
    expect(switchChart({ ...one, chart: { type: 'table', title: '销量' } }, 'line').chart)
      .toEqual({ type: 'line', x: 'status', y: ['sum_amount', 'count'], title: '销量' });
  });
});

describe('filter rows', () => {
  const fieldOf = (path: string) => field(path)?.field;

  it('compile to one expression with literals of each field’s type', () => {
    const rows: FilterRow[] = [
      { field: 'status', op: 'in', value: 'paid, delivered' },
      { field: 'amount', op: 'ge', value: '100' },
      { field: 'paid_at', op: 'lt', value: '2026-03-01' },
      { field: 'no', op: 'contains', value: "O'1" },
      { field: 'customer.leader', op: 'not_empty', value: '' },
      { field: 'customer', op: 'eq', value: '' }, // no value yet: left out
    ];
    expect(compileRows(rows, fieldOf)).toBe(
      "status IN ('paid', 'delivered') AND amount >= 100 AND paid_at < DATEVALUE('2026-03-01') AND "
      + "CONTAINS(no, 'O''1') AND NOT ISBLANK(customer.leader)",
    );
  });

  it('read back into the rows that wrote them; other formulas stay formulas', () => {
    const text = "status = 'paid' AND amount > 5 AND paid_at >= DATEVALUE('2026-01-01') AND CONTAINS(no, 'A AND B')";
    expect(parseRows(text)).toEqual([
      { field: 'status', op: 'eq', value: 'paid' },
      { field: 'amount', op: 'gt', value: '5' },
      { field: 'paid_at', op: 'ge', value: '2026-01-01' },
      { field: 'no', op: 'contains', value: 'A AND B' },
    ]);
    expect(compileRows(parseRows(text)!, fieldOf)).toBe(text);
    expect(parseRows("status = 'paid' OR amount > 5")).toBeNull();
    expect(parseRows('')).toEqual([]);
  });
});
