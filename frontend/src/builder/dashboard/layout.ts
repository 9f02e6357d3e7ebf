/**
 * A dashboard as the format writes it (engines/report/dashboards.py DashboardDef) and its widgets as the grid's
 * layout: the format places widgets on a 24-column grid by x, y, w, h — the grid's own terms — so a layout maps
 * one to one; a widget without a place takes the first free spot, as the server places it.
 */
import type { Item } from '../types';

export const GRID = 24;
export const DEFAULT_W = 12;
export const DEFAULT_H = 6;

export interface WidgetDef {
  report: string;
  x?: number;
  y?: number;
  w?: number;
  h?: number;
  title?: string;
}

export type FilterType = 'date_range' | 'member' | 'relation' | 'select' | 'text';
export const FILTER_TYPES: FilterType[] = ['date_range', 'member', 'relation', 'select', 'text'];

export interface DashboardFilterDef {
  key: string;
  label: string;
  type: FilterType;
  default?: string;
  targets: Record<string, string>;
}

export interface DashboardDef extends Item {
  name: string;
  description?: string;
  filters?: DashboardFilterDef[];
  widgets?: WidgetDef[];
}

/** The grid's item for widget `index` (its id is the index: a report may be on a board twice). */
export interface GridItem {
  i: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

type Box = [number, number, number, number];
const overlap = ([ax, ay, aw, ah]: Box, [bx, by, bw, bh]: Box) => ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah;

function free(taken: Box[], w: number, h: number): [number, number] {
  for (let y = 0; ; y += 1) {
    for (let x = 0; x <= GRID - w; x += 1) {
      if (!taken.some((box) => overlap([x, y, w, h], box))) return [x, y];
    }
  }
}

/** Every widget's place: as given, or the first free one in reading order (engines/report/dashboards.py placed). */
export function toLayout(widgets: WidgetDef[]): GridItem[] {
  const size = (w: WidgetDef): [number, number] => [Math.min(w.w ?? DEFAULT_W, GRID), w.h ?? DEFAULT_H];
  const taken: Box[] = widgets
    .filter((w) => w.x !== undefined && w.y !== undefined)
    .map((w) => [w.x!, w.y!, ...size(w)]);
  return widgets.map((widget, index) => {
    const [w, h] = size(widget);
    if (widget.x !== undefined && widget.y !== undefined) return { i: String(index), x: widget.x, y: widget.y, w, h };
    const [x, y] = free(taken, w, h);
    taken.push([x, y, w, h]);
    return { i: String(index), x, y, w, h };
  });
}

/** The widgets with the grid's places written back; the same array when nothing moved (no spurious edit). */
export function fromLayout(widgets: WidgetDef[], layout: readonly GridItem[]): WidgetDef[] {
  let changed = false;
  const next = widgets.map((widget, index) => {
    const item = layout.find((l) => l.i === String(index));
    if (!item) return widget;
    const placed = { ...widget, x: item.x, y: item.y, w: item.w, h: item.h };
    if (widget.x !== item.x || widget.y !== item.y || (widget.w ?? DEFAULT_W) !== item.w || (widget.h ?? DEFAULT_H) !== item.h) {
      changed = true;
    }
    return placed;
  });
  return changed ? next : widgets;
}

/** A new widget for `report` in the first free spot under the others. */
export function addWidget(board: DashboardDef, report: string): DashboardDef {
  const widgets = board.widgets ?? [];
  const taken: Box[] = toLayout(widgets).map((l) => [l.x, l.y, l.w, l.h]);
  const [x, y] = free(taken, DEFAULT_W, DEFAULT_H);
  return { ...board, widgets: [...widgets, { report, x, y, w: DEFAULT_W, h: DEFAULT_H }] };
}

/** Remove widget `index`; a shared filter no longer targets a report that left the board. */
export function removeWidget(board: DashboardDef, index: number): DashboardDef {
  const widgets = (board.widgets ?? []).filter((_, i) => i !== index);
  const onBoard = new Set(widgets.map((w) => w.report));
  const next: DashboardDef = { ...board, widgets };
  if (board.filters) {
    next.filters = board.filters.map((f) => ({
      ...f,
      targets: Object.fromEntries(Object.entries(f.targets).filter(([report]) => onBoard.has(report))),
    }));
  }
  return next;
}

/** A filter key no other filter of the board uses. */
export function newFilterKey(board: DashboardDef, wanted: string): string {
  const taken = new Set((board.filters ?? []).map((f) => f.key));
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n += 1) if (!taken.has(`${wanted}_${n}`)) return `${wanted}_${n}`;
}
