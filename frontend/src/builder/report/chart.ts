/**
 * The chart settings the designer offers per chart type (engines/report/charts/*: each type's property model), and
 * the sensible ones a type starts with: the report's dimensions along x (a second one as series), its measures up y.
 */
import { CHART_KINDS, type ChartType } from '../../charts';
import { outputs, type Chart, type ReportDef } from './model';

/** A chart property naming report columns: dimension(s) or measure(s), one or a list (at most `most`). */
export interface ChartProp {
  prop: string;
  role: 'dimension' | 'value';
  multiple?: boolean;
  most?: number;
}

const AXIS: ChartProp[] = [
  { prop: 'x', role: 'dimension' },
  { prop: 'y', role: 'value', multiple: true },
  { prop: 'series', role: 'dimension' },
];
const SLICES: ChartProp[] = [
  { prop: 'x', role: 'dimension' },
  { prop: 'y', role: 'value', multiple: true, most: 1 },
];

/** What each chart type names (keys as in frontend/src/charts/registry.ts, which mirrors the server's). */
export const CHART_PROPS: Record<ChartType, ChartProp[]> = {
  table: [],
  pivot: [
    { prop: 'rows', role: 'dimension', multiple: true },
    { prop: 'columns', role: 'dimension', multiple: true },
  ],
  bar: AXIS,
  stacked_bar: AXIS,
  horizontal_bar: AXIS,
  line: AXIS,
  area: AXIS,
  combo: [
    { prop: 'x', role: 'dimension' },
    { prop: 'y', role: 'value', multiple: true },
    { prop: 'y2', role: 'value', multiple: true },
  ],
  pie: SLICES,
  donut: SLICES,
  funnel: SLICES,
  kpi: [{ prop: 'value', role: 'value' }, { prop: 'x', role: 'dimension' }],
  gauge: [{ prop: 'value', role: 'value' }],
  scatter: [
    { prop: 'x', role: 'value' },
    { prop: 'y', role: 'value', multiple: true, most: 1 },
    { prop: 'name', role: 'dimension' },
  ],
  radar: [
    { prop: 'x', role: 'dimension' },
    { prop: 'y', role: 'value', multiple: true },
  ],
  heatmap: [
    { prop: 'x', role: 'dimension' },
    { prop: 'y', role: 'dimension' },
    { prop: 'value', role: 'value' },
  ],
  ranking: [
    { prop: 'x', role: 'dimension' },
    { prop: 'y', role: 'value', multiple: true },
  ],
};

export const CHART_TYPES = Object.keys(CHART_KINDS) as ChartType[];

type Defaults = (dims: string[], values: string[]) => Record<string, unknown>;

const axisDefaults: Defaults = (dims, values) => ({
  ...(dims[0] ? { x: dims[0] } : {}),
  // with a series dimension a chart shows one measure
  ...(values.length ? { y: dims[1] ? values.slice(0, 1) : values } : {}),
  ...(dims[1] ? { series: dims[1] } : {}),
});
const sliceDefaults: Defaults = (dims, values) => ({
  ...(dims[0] ? { x: dims[0] } : {}),
  ...(values[0] ? { y: [values[0]] } : {}),
});

/** The settings a chart type starts with, from the report's columns. */
const DEFAULTS: Record<ChartType, Defaults> = {
  table: () => ({}),
  pivot: (dims) => (dims.length > 1 ? { rows: [dims[0]], columns: dims.slice(1) } : {}),
  bar: axisDefaults,
  stacked_bar: axisDefaults,
  horizontal_bar: axisDefaults,
  line: axisDefaults,
  area: axisDefaults,
  combo: (dims, values) => ({
    ...(dims[0] ? { x: dims[0] } : {}),
    ...(values[0] ? { y: [values[0]] } : {}),
    ...(values[1] ? { y2: values.slice(1) } : {}),
  }),
  pie: sliceDefaults,
  donut: sliceDefaults,
  funnel: sliceDefaults,
  kpi: (_dims, values) => (values[0] ? { value: values[0] } : {}),
  gauge: (_dims, values) => (values[0] ? { value: values[0] } : {}),
  scatter: (dims, values) => ({
    ...(values[0] ? { x: values[0] } : {}),
    ...(values[1] ? { y: [values[1]] } : {}),
    ...(dims[0] ? { name: dims[0] } : {}),
  }),
  radar: (dims, values) => ({ ...(dims[0] ? { x: dims[0] } : {}), ...(values.length ? { y: values } : {}) }),
  heatmap: (dims, values) => ({
    ...(dims[0] ? { x: dims[0] } : {}),
    ...(dims[1] ? { y: dims[1] } : {}),
    ...(values[0] ? { value: values[0] } : {}),
  }),
  ranking: (dims, values) => ({ ...(dims[0] ? { x: dims[0] } : {}), ...(values.length ? { y: values } : {}) }),
};

/** A new chart of `type` for the report: sensible settings, the title kept, the old type's own settings dropped. */
export function switchChart(report: ReportDef, type: ChartType): ReportDef {
  const { dimensions, values } = outputs(report);
  const chart: Chart = { type, ...DEFAULTS[type](dimensions, values) };
  if (typeof report.chart?.title === 'string') chart.title = report.chart.title;
  return { ...report, chart };
}

/** Set one chart property; an empty value removes it (the chart then takes its default). */
export function setChartProp(report: ReportDef, prop: string, value: unknown): ReportDef {
  const chart: Chart = { ...(report.chart ?? { type: 'table' }) };
  if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) {
    delete chart[prop];
  } else {
    chart[prop] = value;
  }
  return { ...report, chart };
}

export function chartPropsOf(type: string | undefined): ChartProp[] {
  return (CHART_PROPS as Record<string, ChartProp[]>)[type ?? ''] ?? [];
}
