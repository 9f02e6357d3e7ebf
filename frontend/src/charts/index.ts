export { ReportChart, type ReportChartProps } from './ReportChart';
export { CHART_KINDS, chartKind, type ChartKind, type ChartType } from './registry';
export type { ChartPayload } from './types';
