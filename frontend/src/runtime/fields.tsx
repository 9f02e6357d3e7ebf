/**
 * Reading a form definition at run time: the fields a person sees, and how a field's API value reads on screen
 * (relation titles, member names, option labels, tags, money, dates as the API gives them in the deployment's
 * zone). One entry per field type where the display differs; everything else shows as text.
 */
import type { ReactNode } from 'react';
import { Rate, Space, Tag, Typography } from 'antd';
import type { FieldDefinition, FormDefinition } from '../api';
import { translate, type Lang } from '../i18n';

export interface FieldDef extends FieldDefinition {
  key: string;
  type: string;
  label?: string;
  options?: Array<string | { value: string; label?: string | null; color?: string }>;
  fields?: FieldDef[];
  many?: boolean;
  target?: string;
  readonly?: boolean;
  hidden?: boolean;
  required?: boolean;
  description?: string;
}

/** Types whose value the platform computes: shown, never edited. */
export const COMPUTED_TYPES = new Set([
  'formula', 'lookup', 'rollup', 'autonumber', 'created_by', 'updated_by', 'created_at', 'updated_at',
]);
/** Layout-only types: no value. */
export const LAYOUT_TYPES = new Set(['divider', 'note']);

export function fieldsOf(form: FormDefinition | undefined): FieldDef[] {
  return ((form?.fields ?? []) as FieldDef[]).filter((f) => typeof f.key === 'string' && typeof f.type === 'string');
}

export function fieldLabel(field: FieldDef): string {
  return field.label || field.key;
}

export function optionLabel(field: FieldDef, value: unknown): string {
  for (const option of field.options ?? []) {
    if (typeof option === 'string' ? option === value : option.value === value) {
      return typeof option === 'string' ? option : option.label || option.value;
    }
  }
  return String(value);
}

export function optionList(field: FieldDef): { value: string; label: string }[] {
  return (field.options ?? []).map((o) =>
    typeof o === 'string' ? { value: o, label: o } : { value: o.value, label: o.label || o.value },
  );
}

/** The field a lookup reads, followed through relations, so its value shows like that field (option labels). */
export function lookupSource(field: FieldDef, forms: FormDefinition[], fields: FieldDef[]): FieldDef | undefined {
  if (field.type !== 'lookup') return undefined;
  const relation = fields.find((f) => f.key === field.relation);
  let form = forms.find((f) => f.key === relation?.target);
  let found: FieldDef | undefined;
  for (const step of String(field.field ?? '').split('.')) {
    found = fieldsOf(form).find((f) => f.key === step);
    form = forms.find((f) => f.key === found?.target);
  }
  return found;
}

/** How a field's value reads: a lookup reads like the field it looks up (its option labels, money, …). */
export function shownAs(field: FieldDef, form: FormDefinition | undefined, forms: FormDefinition[]): FieldDef {
  const source = lookupSource(field, forms, fieldsOf(form));
  return source ? { ...source, key: field.key, label: field.label } : field;
}

const MONEY: Record<Lang, Intl.NumberFormat> = {
  'zh-CN': new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' }),
  'en-US': new Intl.NumberFormat('en-US', { style: 'currency', currency: 'CNY' }),
};

/** "2026-11-18T09:02:00+08:00" → "2026-11-18 09:02": the wall time in the zone the API already used. */
export function wallTime(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return match ? `${match[1]} ${match[2]}` : value;
}

function refTitle(value: unknown): string {
  if (value && typeof value === 'object') {
    const ref = value as { id?: unknown; title?: unknown; name?: unknown };
    const title = ref.title ?? ref.name;
    return title === null || title === undefined || title === '' ? `#${String(ref.id ?? '')}` : String(title);
  }
  return String(value);
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** Plain text of a value (cards, titles, tests). */
export function valueText(field: FieldDef, value: unknown, lang: Lang): string {
  if (value === null || value === undefined || value === '') return '';
  const sep = translate(lang, 'common.listSeparator');
  const type = field.type === 'formula' && typeof field.result === 'string' ? field.result : field.type;
  switch (type) {
    case 'relation': case 'member': case 'department': case 'created_by': case 'updated_by':
      return asList(value).map(refTitle).join(sep);
    case 'select': case 'radio': case 'multi_select':
      return asList(value).map((v) => optionLabel(field, v)).join(sep);
    case 'tags':
      return asList(value).map(String).join(sep);
    case 'money':
      return typeof value === 'number' ? MONEY[lang].format(value) : String(value);
    case 'percent':
      return typeof value === 'number' ? `${value}%` : String(value);
    case 'checkbox': case 'switch':
      return translate(lang, value ? 'rt.yes' : 'rt.no');
    case 'datetime': case 'created_at': case 'updated_at':
      return typeof value === 'string' ? wallTime(value) : String(value);
    case 'region':
      return ((value as { names?: string[] }).names ?? []).join('/');
    case 'address': {
      const address = value as { region?: { names?: string[] } | null; detail?: string | null };
      return [(address.region?.names ?? []).join(''), address.detail ?? ''].join(' ').trim();
    }
    case 'attachment': case 'image': case 'signature':
      return asList(value).map((f) => String((f as { name?: string }).name ?? '')).join(sep);
    case 'subtable':
      return Array.isArray(value) ? `${value.length}` : '';
    default:
      if (typeof value === 'object') return JSON.stringify(value);
      return String(value);
  }
}

/** A value as shown in lists and on the record page. */
export function renderValue(field: FieldDef, value: unknown, lang: Lang): ReactNode {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
    return <Typography.Text type="secondary">—</Typography.Text>;
  }
  switch (field.type) {
    case 'tags':
      return <Space size={[0, 4]} wrap>{asList(value).map((t) => <Tag key={String(t)}>{String(t)}</Tag>)}</Space>;
    case 'multi_select':
      return (
        <Space size={[0, 4]} wrap>
          {asList(value).map((v) => <Tag key={String(v)} color="blue">{optionLabel(field, v)}</Tag>)}
        </Space>
      );
    case 'select': case 'radio':
      return <Tag color="geekblue">{optionLabel(field, value)}</Tag>;
    case 'rating':
      return <Rate disabled count={Number(field.max ?? 5)} value={Number(value)} />;
    case 'url':
      return <a href={String(value)} target="_blank" rel="noreferrer">{String(value)}</a>;
    case 'email':
      return <a href={`mailto:${String(value)}`}>{String(value)}</a>;
    case 'attachment': case 'image': case 'signature':
      return (
        <Space size={[8, 4]} wrap>
          {asList(value).map((f) => {
            const file = f as { token: string; name?: string; url?: string };
            return <Tag key={file.token}>{file.name || file.token}</Tag>;
          })}
        </Space>
      );
    case 'subtable':
      return <SubtableView field={field} rows={value as Record<string, unknown>[]} lang={lang} />;
    default:
      return valueText(field, value, lang);
  }
}

function SubtableView({ field, rows, lang }: { field: FieldDef; rows: Record<string, unknown>[]; lang: Lang }) {
  const columns = (field.fields ?? []).filter((f) => rows.some((row) => f.key in row));
  return (
    <div className="rt-subtable-wrap">
    <table className="rt-subtable">
      <thead>
        <tr>{columns.map((c) => <th key={c.key}>{fieldLabel(c)}</th>)}</tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={String(row.id ?? i)}>
            {columns.map((c) => <td key={c.key}>{renderValue(c, row[c.key], lang)}</td>)}
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

/** The record's title: its form's `title_field`, else `#id`. */
export function recordTitle(form: FormDefinition | undefined, record: Record<string, unknown>, lang: Lang): string {
  const key = typeof form?.title_field === 'string' ? form.title_field : undefined;
  const field = fieldsOf(form).find((f) => f.key === key);
  const text = field ? valueText(field, record[field.key], lang) : '';
  return text || `#${String(record.id ?? '')}`;
}
