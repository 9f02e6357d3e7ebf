/**
 * Views of a form's records (docs/views.md): the pieces every renderer shares — the query a view asks of the
 * records API, colour rules decided in the browser, grouping, dates and relation ids.
 */
import type { AppDefinition, RecordData, ViewItem } from '../../api';
import { conditionHolds, type FieldDef as ExprFieldDef, type LinkageScope } from '../../expr';
import { fieldsOf, type FieldDef } from '../fields';

/** The records API's `sort` parameter: "-due,title". */
export function sortParam(view: ViewItem | undefined): string | undefined {
  const parts = (view?.sort ?? []).map((s) => `${s.desc ? '-' : ''}${s.field}`);
  return parts.length ? parts.join(',') : undefined;
}

/** Both conditions must hold: the view's own filter and the one on screen (a drill-down). */
export function bothFilters(...filters: Array<string | null | undefined>): string | undefined {
  const present = filters.filter((f): f is string => !!f && f.trim() !== '');
  if (present.length <= 1) return present[0];
  return present.map((f) => `(${f})`).join(' AND ');
}

export function setting(view: ViewItem | undefined, key: string): string | undefined {
  const value = view?.[key];
  return typeof value === 'string' && value ? value : undefined;
}

export function settingList(view: ViewItem | undefined, key: string): string[] {
  const value = view?.[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The id a relation value names ({id, title} as the API gives it), or the value itself. */
export function refId(value: unknown): unknown {
  const isRef = value && typeof value === 'object' && !Array.isArray(value) && 'id' in value;
  return isRef ? (value as { id: unknown }).id : value;
}

/** A record's values as expressions read them: relations by id. */
export function exprValues(record: RecordData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key] = Array.isArray(value) ? value.map(refId) : refId(value);
  return out;
}

export function exprScope(app: AppDefinition, formKey: string, userId?: number | null): LinkageScope {
  const form = app.forms.find((f) => f.key === formKey);
  return {
    fields: fieldsOf(form) as unknown as ExprFieldDef[],
    ctx: { now: new Date(), tz: Intl.DateTimeFormat().resolvedOptions().timeZone || 'Asia/Shanghai', userId },
    forms: Object.fromEntries(app.forms.map((f) => [f.key, { fields: fieldsOf(f) as unknown as ExprFieldDef[] }])),
  };
}

export interface RecordColors {
  /** The whole row's or card's colour. */
  record?: string;
  /** Colours of single cells by field key. */
  cells: Record<string, string>;
}

/** The colour rules that hold for a record: the first rule without a field colours the record, the first rule
 * naming a field colours that cell. */
export function recordColors(view: ViewItem | undefined, record: RecordData, scope: LinkageScope): RecordColors {
  const out: RecordColors = { cells: {} };
  const values = exprValues(record);
  for (const rule of view?.colors ?? []) {
    const place = rule.field ?? null;
    if (place === null ? out.record !== undefined : out.cells[place] !== undefined) continue;
    if (!conditionHolds(rule.when, values, scope)) continue;
    if (place === null) out.record = cssColor(rule.color);
    else out.cells[place] = cssColor(rule.color);
  }
  return out;
}

// Palette names as in the app format, mapped to Ant Design's base colours.
const PALETTE: Record<string, string> = {
  red: '#f5222d', volcano: '#fa541c', orange: '#fa8c16', gold: '#faad14', yellow: '#fadb14', lime: '#a0d911',
  green: '#52c41a', cyan: '#13c2c2', blue: '#1677ff', geekblue: '#2f54eb', purple: '#722ed1', magenta: '#eb2f96',
  grey: '#8c8c8c', gray: '#8c8c8c',
};

export function cssColor(color: string): string {
  return PALETTE[color] ?? color;
}

/** A light background of a colour (#rrggbb plus alpha), for rows, cells and cards. */
export function tint(color: string): string {
  return /^#[0-9a-f]{6}$/i.test(color) ? `${color}26` : color;
}

/** The calendar day ("YYYY-MM-DD") of a date or date-time value as the API gives it (in the deployment's zone). */
export function dayOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(value);
  return match ? match[1] : null;
}

/** Whole days from a to b ("YYYY-MM-DD"). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** A grouping value as a key: relation ids, option values, '' for empty. */
export function groupKey(value: unknown): string {
  const id = refId(value);
  return id === null || id === undefined ? '' : String(id);
}

/** Records grouped by a field, groups in first-seen order (the list is sorted by that field first). */
export interface RecordGroup {
  key: string;
  value: unknown;
  records: RecordData[];
}

export function groupRecords(records: RecordData[], field: FieldDef): RecordGroup[] {
  const groups = new Map<string, RecordGroup>();
  for (const record of records) {
    const key = groupKey(record[field.key]);
    const group = groups.get(key) ?? { key, value: record[field.key], records: [] };
    group.records.push(record);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** The fields a view names (in its order), else every shown field. */
export function namedFields(all: FieldDef[], keys: string[]): FieldDef[] {
  if (!keys.length) return all;
  const byKey = new Map(all.map((f) => [f.key, f]));
  return keys.map((k) => byKey.get(k)).filter((f): f is FieldDef => f !== undefined);
}

/** What every view renderer is given: the view, the form's shown fields and its records (already filtered and
 * sorted by the server), and how to open a record or tell the list that one changed. */
export interface ViewProps {
  app: AppDefinition;
  view: ViewItem;
  form: import('../../api').FormDefinition;
  fields: FieldDef[];
  records: RecordData[];
  scope: LinkageScope;
  onOpen: (id: number) => void;
  onChanged: () => void;
  canUpdate: boolean;
}
