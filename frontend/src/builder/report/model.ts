/**
 * The report being designed, as the format writes it (engines/report/definition.py ReportDef), and the pure edits
 * the designer makes to it: what a dropped field becomes, unique `as` keys, renames that follow into the chart and
 * the sort, and the fields a source offers (its own, one relation step further, and the system fields).
 */
import type { AppDraft, FieldDef, FormDef, Item } from '../types';

export interface DimensionDef {
  field: string;
  as: string;
  label?: string;
  bucket?: Bucket;
  first_by?: string;
  since?: string;
}

export interface MeasureDef {
  agg: Agg;
  field?: string;
  expr?: string;
  as: string;
  label?: string;
  filter?: string;
  within_days?: number;
  date?: string;
}

export interface MetricDef {
  as: string;
  expr: string;
  label?: string;
  along?: string;
}

export interface SortDef {
  by: string;
  desc?: boolean;
}

export type Chart = { type: string } & Record<string, unknown>;

export interface ReportDef extends Item {
  name: string;
  description?: string;
  source: string;
  filter?: string;
  dimensions?: DimensionDef[];
  measures?: MeasureDef[];
  metrics?: MetricDef[];
  sort?: SortDef[];
  limit?: number;
  pivot?: { rows?: string[]; columns: string[] };
  totals?: boolean;
  subtotals?: boolean;
  chart?: Chart;
}

export const AGGS = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max'] as const;
export type Agg = (typeof AGGS)[number] | 'repeat_rate';
export const BUCKETS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Field types by what a report can do with them. */
const NUMERIC = new Set(['number', 'money', 'percent', 'rating', 'slider', 'formula', 'rollup', 'duration']);
const DATES = new Set(['date', 'datetime']);
// a value per record that cannot be grouped or counted meaningfully
const UNREPORTABLE = new Set([
  'subtable', 'divider', 'note', 'attachment', 'image', 'signature', 'rich_text', 'location', 'address',
]);
/** The system fields every record has (engines/expr/check.py SYSTEM_TYPES), as field definitions. */
export const SYSTEM_FIELDS: FieldDef[] = [
  { key: 'created_at', type: 'datetime' },
  { key: 'updated_at', type: 'datetime' },
  { key: 'created_by', type: 'member' },
  { key: 'owner', type: 'member' },
];

/** One field a report can use: its path from the source ("customer.leader") and the field it ends at. */
export interface SourceField {
  path: string;
  field: FieldDef;
  /** the relation step it was reached through, for labels ("客户 / 团长") */
  via?: FieldDef;
  system?: boolean;
}

export const isNumeric = (field: FieldDef) => NUMERIC.has(field.type);
export const isDate = (field: FieldDef) => DATES.has(field.type);

export function findForm(app: AppDraft, key: string | undefined): FormDef | undefined {
  return app.forms.find((f) => f.key === key);
}

/** A source's own fields: a form's, or a sub-table's rows' plus the parent record as a relation named after it. */
function ownFields(app: AppDraft, source: string): FieldDef[] {
  const [formKey, subKey] = source.split('.');
  const form = findForm(app, formKey);
  if (!form) return [];
  if (!subKey) return form.fields;
  const sub = form.fields.find((f) => f.key === subKey && f.type === 'subtable');
  if (!sub) return [];
  return [...(sub.fields ?? []), { key: form.key, type: 'relation', target: form.key, label: form.name }];
}

function reportable(field: FieldDef): boolean {
  return !UNREPORTABLE.has(field.type) && !(field.type === 'relation' && field.many);
}

/** Every field of the source a report can group or count by, with the linked forms' fields one step away. */
export function sourceFields(app: AppDraft, source: string): SourceField[] {
  const own = ownFields(app, source).filter(reportable);
  const found: SourceField[] = own.map((field) => ({ path: field.key, field }));
  for (const via of own) {
    if (via.type !== 'relation') continue;
    const target = findForm(app, via.target as string | undefined);
    for (const field of (target?.fields ?? []).filter(reportable)) {
      found.push({ path: `${via.key}.${field.key}`, field, via });
    }
  }
  if (!source.includes('.')) {
    for (const field of SYSTEM_FIELDS) {
      if (!own.some((f) => f.key === field.key)) found.push({ path: field.key, field, system: true });
    }
  }
  return found;
}

/** The sources a report may count: each form, and each sub-table's rows ("order.lines"). */
export function sources(app: AppDraft): { key: string; form: FormDef; sub?: FieldDef }[] {
  return app.forms.flatMap((form) => [
    { key: form.key, form },
    ...form.fields.filter((f) => f.type === 'subtable').map((sub) => ({ key: `${form.key}.${sub.key}`, form, sub })),
  ]);
}

// ---- output keys ----------------------------------------------------------------------------------------------

/** The report's output columns by their `as`: dimensions, then measures, then metrics. */
export function outputs(report: ReportDef): { dimensions: string[]; values: string[] } {
  return {
    dimensions: (report.dimensions ?? []).map((d) => d.as),
    values: [...(report.measures ?? []).map((m) => m.as), ...(report.metrics ?? []).map((m) => m.as)],
  };
}

function allOutputs(report: ReportDef): string[] {
  const { dimensions, values } = outputs(report);
  return [...dimensions, ...values];
}

/** A key in the format's pattern (^[a-z][a-z0-9_]{0,39}$) from any text. */
export function keyFrom(text: string): string {
  let key = text.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (!/^[a-z]/.test(key)) key = `c_${key}`;
  return key.slice(0, 40).replace(/_+$/, '') || 'c';
}

/** `wanted`, or `wanted_2`, `wanted_3` … — whichever no other output of the report uses. */
export function uniqueAs(report: ReportDef, wanted: string, except?: string): string {
  const taken = new Set(allOutputs(report).filter((k) => k !== except));
  const base = keyFrom(wanted);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const candidate = `${base.slice(0, 40 - String(n).length - 1)}_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export const dimensionAs = (d: Pick<DimensionDef, 'field' | 'bucket'>) =>
  keyFrom(d.bucket ? `${d.field}_${d.bucket}` : d.field);
export const measureAs = (m: Pick<MeasureDef, 'agg' | 'field'>) => keyFrom(m.field ? `${m.agg}_${m.field}` : m.agg);

// ---- adding and editing -----------------------------------------------------------------------------------------

export function addDimension(report: ReportDef, source: SourceField): ReportDef {
  const bucket: Bucket | undefined = isDate(source.field) ? 'month' : undefined;
  const dimension: DimensionDef = { field: source.path, as: '' };
  if (bucket) dimension.bucket = bucket;
  dimension.as = uniqueAs(report, dimensionAs(dimension));
  return { ...report, dimensions: [...(report.dimensions ?? []), dimension] };
}

/** The label the designer gives a measure (「金额（求和）」); the server would show its `as` key. */
export type MeasureLabel = (measure: MeasureDef) => string;

/** Numbers are added up; anything else is counted. Without a field: the number of records. */
export function addMeasure(report: ReportDef, source?: SourceField, labelOf?: MeasureLabel): ReportDef {
  const measure: MeasureDef = source
    ? { agg: isNumeric(source.field) ? 'sum' : 'count', field: source.path, as: '' }
    : { agg: 'count', as: '' };
  measure.as = uniqueAs(report, measureAs(measure));
  if (labelOf) measure.label = labelOf(measure);
  return { ...report, measures: [...(report.measures ?? []), measure] };
}

/** The aggregations that make sense for a field: all on numbers; counts (and min/max on dates) otherwise. */
export function aggsFor(field: FieldDef | undefined): Agg[] {
  if (!field || isNumeric(field)) return [...AGGS];
  if (isDate(field)) return ['count', 'count_distinct', 'min', 'max'];
  return ['count', 'count_distinct'];
}

/** Replace output `from` with `to` wherever the report names it: chart, sort, pivot, metrics' `along`. */
export function renameOutput(report: ReportDef, from: string, to: string): ReportDef {
  if (from === to) return report;
  const swap = (v: unknown): unknown =>
    v === from ? to : Array.isArray(v) ? v.map((x) => (x === from ? to : x)) : v;
  const chart = report.chart
    ? (Object.fromEntries(Object.entries(report.chart).map(([k, v]) => [k, k === 'type' ? v : swap(v)])) as Chart)
    : undefined;
  const next: ReportDef = { ...report };
  if (chart) next.chart = chart;
  if (report.sort) next.sort = report.sort.map((s) => (s.by === from ? { ...s, by: to } : s));
  if (report.pivot) {
    next.pivot = { ...report.pivot, columns: report.pivot.columns.map((c) => (c === from ? to : c)) };
    if (report.pivot.rows) next.pivot.rows = report.pivot.rows.map((c) => (c === from ? to : c));
  }
  if (report.metrics) next.metrics = report.metrics.map((m) => (m.along === from ? { ...m, along: to } : m));
  return next;
}

/** Forget outputs that are gone: chart properties and sort entries naming them are dropped. */
export function dropMissing(report: ReportDef): ReportDef {
  const known = new Set(allOutputs(report));
  const next: ReportDef = { ...report };
  if (report.chart) {
    const chart: Chart = { type: report.chart.type };
    for (const [k, v] of Object.entries(report.chart)) {
      if (k === 'type' || !CHART_REFS.has(k)) chart[k] = v;
      else if (typeof v === 'string' && known.has(v)) chart[k] = v;
      else if (Array.isArray(v)) {
        const kept = v.filter((x) => typeof x === 'string' && known.has(x));
        if (kept.length) chart[k] = kept;
      }
    }
    next.chart = chart;
  }
  if (report.sort) next.sort = report.sort.filter((s) => known.has(s.by));
  if (report.pivot && !report.pivot.columns.every((c) => known.has(c))) delete next.pivot;
  return next;
}

// chart properties that name report columns (engines/report/charts/*); the others are settings
const CHART_REFS = new Set(['x', 'y', 'y2', 'series', 'value', 'previous', 'size', 'name', 'rows', 'columns', 'values']);

export function setDimension(report: ReportDef, index: number, patch: Partial<DimensionDef>): ReportDef {
  const dims = [...(report.dimensions ?? [])];
  const old = dims[index];
  const next: DimensionDef = { ...old, ...patch };
  for (const k of Object.keys(patch) as (keyof DimensionDef)[]) if (patch[k] === undefined) delete next[k];
  // an `as` that was generated follows the bucket; one the person wrote stays
  if (patch.as === undefined && old.as === uniqueAs(report, dimensionAs(old), old.as)) {
    next.as = uniqueAs(report, dimensionAs(next), old.as);
  }
  dims[index] = next;
  return renameOutput({ ...report, dimensions: dims }, old.as, next.as);
}

export function setMeasure(report: ReportDef, index: number, patch: Partial<MeasureDef>, labelOf?: MeasureLabel): ReportDef {
  const measures = [...(report.measures ?? [])];
  const old = measures[index];
  const next: MeasureDef = { ...old, ...patch };
  for (const k of Object.keys(patch) as (keyof MeasureDef)[]) if (patch[k] === undefined) delete next[k];
  // a label the designer gave follows the aggregation; one the person wrote stays
  if (labelOf && patch.label === undefined && old.label === labelOf(old)) next.label = labelOf(next);
  if (patch.as === undefined && old.as === uniqueAs(report, measureAs(old), old.as)) {
    next.as = uniqueAs(report, measureAs(next), old.as);
  }
  measures[index] = next;
  return renameOutput({ ...report, measures }, old.as, next.as);
}

export function removeAt<K extends 'dimensions' | 'measures' | 'metrics' | 'sort'>(
  report: ReportDef, list: K, index: number,
): ReportDef {
  const items = [...((report[list] as unknown[] | undefined) ?? [])];
  items.splice(index, 1);
  return dropMissing({ ...report, [list]: items });
}

/** Move item `from` of a list to `to` (dimension order decides series and pivot sides). */
export function moveItem<K extends 'dimensions' | 'measures'>(report: ReportDef, list: K, from: number, to: number): ReportDef {
  const items = [...((report[list] as unknown[] | undefined) ?? [])];
  const [moved] = items.splice(from, 1);
  items.splice(to, 0, moved);
  return { ...report, [list]: items };
}

/** The label a field shows in the designer: "客户 / 团长" through a relation. */
export function fieldLabel(source: SourceField | undefined, fallback: string, systemLabel?: (key: string) => string): string {
  if (!source) return fallback;
  const own = source.system && systemLabel ? systemLabel(source.field.key) : source.field.label || source.field.key;
  return source.via ? `${source.via.label || source.via.key} / ${own}` : own;
}

/** Another source: the fields of the old one mean nothing there, so only the record count stays. */
export function changeSource(report: ReportDef, source: string): ReportDef {
  const next: ReportDef = {
    ...report,
    source,
    dimensions: [],
    measures: (report.measures ?? []).filter((m) => !m.field && !m.expr && !m.filter),
    metrics: [],
  };
  delete next.filter;
  delete next.pivot;
  return dropMissing(next);
}
