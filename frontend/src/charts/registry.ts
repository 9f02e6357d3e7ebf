/**
 * How the page draws each chart type of engines/report/charts. The keys must match the server's CHART_TYPES
 * (tests/engines/report/test_charts.py checks both lists agree).
 */
export type ChartKind = 'echarts' | 'table' | 'pivot' | 'kpi' | 'ranking';

export const CHART_KINDS = {
  table: 'table',
  pivot: 'pivot',
  bar: 'echarts',
  stacked_bar: 'echarts',
  horizontal_bar: 'echarts',
  line: 'echarts',
  area: 'echarts',
  combo: 'echarts',
  pie: 'echarts',
  donut: 'echarts',
  funnel: 'echarts',
  kpi: 'kpi',
  gauge: 'echarts',
  scatter: 'echarts',
  radar: 'echarts',
  heatmap: 'echarts',
  ranking: 'ranking',
} as const satisfies Record<string, ChartKind>;

export type ChartType = keyof typeof CHART_KINDS;

export function chartKind(type: string): ChartKind | undefined {
  return Object.prototype.hasOwnProperty.call(CHART_KINDS, type) ? CHART_KINDS[type as ChartType] : undefined;
}
