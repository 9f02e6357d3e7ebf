/** A pivot payload laid out as table columns (nested under column headers) and rows, with a totals row. */
import type { Lang } from '../i18n';
import { formatValue } from './format';
import { chartLabel } from './labels';
import type { PivotPayload } from './types';

export interface PivotColumn {
  key: string;
  title: string;
  /** a number column (right-aligned), as opposed to a row header */
  numeric: boolean;
  children?: PivotColumn[];
}

export interface PivotRow {
  key: string;
  cells: Record<string, string>;
  /** column key → the filter opening that cell's records */
  drill: Record<string, string>;
}

export interface PivotLayout {
  columns: PivotColumn[];
  rows: PivotRow[];
  /** the totals row by column key, or null when the pivot has no totals */
  summary: Record<string, string> | null;
}

export const cellKey = (column: number, measure: number) => `c${column}m${measure}`;
const rowKey = (field: number) => `r${field}`;
const totalKey = (measure: number) => `t${measure}`;

export function pivotLayout(pivot: PivotPayload, lang: Lang): PivotLayout {
  const measures = pivot.values;
  const leaves = (key: (m: number) => string, title: string): PivotColumn[] =>
    measures.length === 1
      ? [{ key: key(0), title: title || measures[0].label, numeric: true }]
      : [{
          key: `${key(0)}-group`,
          title,
          numeric: true,
          children: measures.map((m, i) => ({ key: key(i), title: m.label, numeric: true })),
        }];
  const valueColumns = pivot.column_headers.flatMap((header, c) => {
    const title = header.join(' / ');
    const built = leaves((m) => cellKey(c, m), title);
    // without column dimensions the measures stand directly under the row headers
    return !title && built[0].children ? built[0].children : built;
  });
  const columns: PivotColumn[] = [
    ...pivot.row_fields.map((field, i) => ({ key: rowKey(i), title: field.label, numeric: false })),
    ...valueColumns,
    ...(pivot.row_totals ? leaves(totalKey, chartLabel(lang, 'total')) : []),
  ];

  const rows = pivot.row_headers.map((header, r) => {
    const cells: Record<string, string> = {};
    const drill: Record<string, string> = {};
    header.forEach((text, i) => (cells[rowKey(i)] = text));
    pivot.cells[r].forEach((cell, c) => {
      measures.forEach((_, m) => (cells[cellKey(c, m)] = formatValue(cell?.[m], lang, measures[m].format)));
      const filter = pivot.drill?.[r]?.[c];
      if (filter) measures.forEach((_, m) => (drill[cellKey(c, m)] = filter));
    });
    pivot.row_totals?.[r].forEach((value, m) => (cells[totalKey(m)] = formatValue(value, lang, measures[m].format)));
    return { key: `${r}:${header.join('\u0001')}`, cells, drill };
  });

  let summary: Record<string, string> | null = null;
  if (pivot.column_totals) {
    summary = { [rowKey(0)]: chartLabel(lang, 'total') };
    const single = pivot.column_headers.length === 1 && !pivot.row_totals;
    const line = summary;
    pivot.column_totals.forEach((totals, c) =>
      // one column and no row totals: its total is the grand total, which the report itself computed
      (single ? pivot.grand_total ?? totals : totals).forEach((v, m) => (line[cellKey(c, m)] = formatValue(v, lang, measures[m].format))),
    );
    if (pivot.row_totals) pivot.grand_total?.forEach((v, m) => (line[totalKey(m)] = formatValue(v, lang, measures[m].format)));
  }
  return { columns, rows, summary };
}

/** The leaf columns in display order (what a totals row walks along). */
export function leafColumns(columns: PivotColumn[]): PivotColumn[] {
  return columns.flatMap((column) => (column.children ? leafColumns(column.children) : [column]));
}
