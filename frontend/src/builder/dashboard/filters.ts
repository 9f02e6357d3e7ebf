/** Which fields a shared filter of each type can compare, and the relative date ranges a default may name. */
import type { AppDraft, FieldDef } from '../types';
import { isDate, isNumeric, sourceFields, type SourceField } from '../report/model';
import type { DashboardDef, DashboardFilterDef, FilterType } from './layout';

// the server's relative date ranges (engines/report/dashboards.py PRESETS)
export const PRESETS = [
  'today', 'yesterday', 'this_week', 'last_week', 'last_7_days', 'last_30_days', 'this_month', 'last_month',
  'last_6_months', 'last_12_months', 'this_quarter', 'last_quarter', 'this_year', 'last_year',
] as const;

const NOT_TEXT = new Set(['relation', 'member', 'department', 'checkbox', 'switch', 'tags', 'multi_select', 'select', 'radio']);

/** Filter type → the fields it can compare. */
export const FITS: Record<FilterType, (field: FieldDef) => boolean> = {
  date_range: isDate,
  member: (f) => f.type === 'member',
  relation: (f) => f.type === 'relation',
  select: (f) => f.type === 'select' || f.type === 'radio',
  text: (f) => !isNumeric(f) && !isDate(f) && !NOT_TEXT.has(f.type),
};

interface ReportLike {
  key: string;
  name?: string;
  source?: string;
}

export function reportsOf(app: AppDraft): ReportLike[] {
  return (app.reports as ReportLike[] | undefined) ?? [];
}

/** The fields of a report's source a filter of `type` can compare. */
export function targetFields(app: AppDraft, report: string, type: FilterType): SourceField[] {
  const source = reportsOf(app).find((r) => r.key === report)?.source;
  return source ? sourceFields(app, source).filter((f) => FITS[type](f.field)) : [];
}

/** A new filter of `type`: each report on the board targeted by its first fitting field (reports without one are left out). */
export function newFilter(app: AppDraft, reports: string[], key: string, label: string, type: FilterType): DashboardFilterDef {
  const targets: Record<string, string> = {};
  for (const report of reports) {
    const first = targetFields(app, report, type)[0];
    if (first) targets[report] = first.path;
  }
  return { key, label, type, targets };
}

/** Another type: targets that still fit stay, the others take the first fitting field; the default is dropped. */
export function retype(app: AppDraft, filter: DashboardFilterDef, type: FilterType, reports: string[]): DashboardFilterDef {
  const kept = Object.fromEntries(
    Object.entries(filter.targets).filter(([report, path]) => targetFields(app, report, type).some((f) => f.path === path)),
  );
  const targets = { ...newFilter(app, reports, filter.key, filter.label, type).targets, ...kept };
  const next: DashboardFilterDef = { ...filter, type, targets };
  delete next.default;
  return next;
}

// the filter types whose values a report's field parameters read alike (a dashboard's text filter means "contains",
// its select filter takes several options; a report's field value of those is one value, equal)
const AS_PARAMS = new Set<FilterType>(['date_range', 'member', 'relation']);

/** The shared filters' defaults as a published report's field values, so a widget shows what a viewer first sees. */
export function defaultsFor(board: DashboardDef, report: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const filter of board.filters ?? []) {
    const path = filter.targets[report];
    if (path && filter.default && AS_PARAMS.has(filter.type)) params[path] = filter.default;
  }
  return params;
}
