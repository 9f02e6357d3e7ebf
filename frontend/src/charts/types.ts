/**
 * The `chart` payload of `GET /api/apps/{app}/reports/{report}/data`, as engines/report/charts shapes it.
 * ECharts types carry a complete `option`; table, pivot, kpi and ranking carry data the page lays out itself.
 */

/** A relation or member value: the label is shown, the id kept for links. */
export interface RefValue {
  id: number | string | null;
  label: string | null;
}

export type CellValue = string | number | boolean | null | RefValue | CellValue[];

export interface ColumnHead {
  key: string;
  label: string;
  type: string | null;
  role: 'dimension' | 'measure' | 'metric' | null;
  /** How the report asks its numbers to print. */
  format?: NumberFormat;
}

export type NumberFormat = 'percent' | 'money';

interface Titled {
  /** The chart's own title, when the report sets one. */
  title?: string;
}

export interface EChartsPayload extends Titled {
  type: string;
  // ECharts' own option object: built by the server, passed through untouched.
  option: Record<string, unknown>;
  /** gauge only */
  value?: number | null;
  target?: number;
  progress?: number | null;
}

export interface TablePayload extends Titled {
  type: 'table';
  columns: ColumnHead[];
  rows: Array<Record<string, CellValue> & { _drill?: string }>;
  totals: Record<string, CellValue> | null;
}

export interface PivotPayload extends Titled {
  type: 'pivot';
  row_fields: ColumnHead[];
  column_fields: ColumnHead[];
  values: ColumnHead[];
  row_headers: string[][];
  column_headers: string[][];
  /** cells[row][column] = one value per measure in `values`, or null where no record falls */
  cells: Array<Array<Array<number | null> | null>>;
  drill?: Array<Array<string | null>>;
  row_totals?: Array<Array<number | null>>;
  column_totals?: Array<Array<number | null>>;
  grand_total?: Array<number | null>;
}

export interface KpiPayload extends Titled {
  type: 'kpi';
  label: string;
  value_type: string | null;
  format?: NumberFormat;
  value: number | null;
  previous: number | null;
  /** relative change: 0.25 is +25 % */
  change: number | null;
  period?: string | null;
  previous_period?: string | null;
  previous_label?: string;
  trend?: Array<{ name: string; value: number | null }>;
  drill?: string;
}

export interface RankingItem {
  rank: number | null;
  name: string;
  value: number | null;
  values: Record<string, number | null>;
  id?: number | string;
  drill?: string;
}

export interface RankingPayload extends Titled {
  type: 'ranking';
  name: ColumnHead;
  value: ColumnHead;
  others: ColumnHead[];
  items: RankingItem[];
}

export type ChartPayload = EChartsPayload | TablePayload | PivotPayload | KpiPayload | RankingPayload;

export function isECharts(payload: ChartPayload): payload is EChartsPayload {
  return 'option' in payload && typeof payload.option === 'object' && payload.option !== null;
}
