/**
 * The form designer's edits as pure functions over a form definition (APP_FORMAT.md FORM): fields added from the
 * palette, moved, copied, removed and changed; the palette's groups; problems sorted onto their fields. The
 * designer only calls these, so the tests can check the edits without drawing anything.
 */
import type { LinkageRule } from '../../expr';
import type { FieldTypeInfo } from '../api';
import { textNow } from '../text';
import type { FieldDef, FormDef, Problem } from '../types';
import { TEXT } from './text';

// one definition of a linkage rule for the designer and the runtime that applies it
export type { LinkageRule };

export const KEY_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
/** Names every record has already; a field may not take them (engines/form/fields/base.py SYSTEM_FIELDS). */
export const SYSTEM_FIELDS = new Set(['id', 'created_at', 'updated_at', 'created_by', 'updated_by', 'owner', 'version']);

export type PaletteGroup = 'basic' | 'choice' | 'date' | 'relation' | 'computed' | 'advanced' | 'layout';
export const PALETTE_GROUPS: PaletteGroup[] = ['basic', 'choice', 'date', 'relation', 'computed', 'advanced', 'layout'];

/** The palette group of each known type; a type the server adds later lands in "advanced". */
const GROUP_OF_TYPE: Record<string, PaletteGroup> = {
  text: 'basic', long_text: 'basic', number: 'basic', money: 'basic', percent: 'basic', phone: 'basic',
  email: 'basic', url: 'basic', wechat: 'basic', id_number: 'basic', rich_text: 'basic',
  select: 'choice', multi_select: 'choice', radio: 'choice', checkbox: 'choice', switch: 'choice',
  cascade: 'choice', tags: 'choice', rating: 'choice', slider: 'choice', color: 'choice',
  date: 'date', datetime: 'date', time: 'date', duration: 'date',
  relation: 'relation', subtable: 'relation', member: 'relation', department: 'relation',
  formula: 'computed', lookup: 'computed', rollup: 'computed', autonumber: 'computed', created_by: 'computed',
  updated_by: 'computed', created_at: 'computed', updated_at: 'computed',
  region: 'advanced', address: 'advanced', location: 'advanced', attachment: 'advanced', image: 'advanced',
  signature: 'advanced', barcode: 'advanced',
  divider: 'layout', note: 'layout',
};

export function groupOf(type: string): PaletteGroup {
  return GROUP_OF_TYPE[type] ?? 'advanced';
}

export function paletteGroups(types: FieldTypeInfo[]): { group: PaletteGroup; types: FieldTypeInfo[] }[] {
  return PALETTE_GROUPS.map((group) => ({ group, types: types.filter((t) => groupOf(t.key) === group) }))
    .filter((g) => g.types.length > 0);
}

/** The first free `field_N` key among `fields` (sub-table columns included, so keys stay unambiguous). */
export function nextFieldKey(fields: FieldDef[], stem = 'field'): string {
  const taken = new Set<string>();
  for (const f of fields) {
    taken.add(f.key);
    for (const c of f.fields ?? []) taken.add(c.key);
  }
  for (let n = 1; ; n += 1) {
    if (!taken.has(`${stem}_${n}`)) return `${stem}_${n}`;
  }
}

export type Lang = 'zh-CN' | 'en-US';

export function typeLabel(info: FieldTypeInfo | undefined, type: string, lang: Lang): string {
  if (!info) return type;
  return lang === 'zh-CN' ? info.label['zh-CN'] : info.label.en;
}

/**
 * What a type needs to be valid as it lands on the canvas: its required properties given a sensible first value
 * (a select's first option, a relation's target, a note's text). Keyed by type; the rest start empty.
 */
function starterOptions(count: number) {
  return Array.from({ length: count }, (_, i) => ({ value: `option_${i + 1}`, label: textNow(TEXT, 'starter.option', { n: i + 1 }) }));
}

const STARTERS: Record<string, (ctx: { form: FormDef; app: { forms: FormDef[] }; otherForms: string[]; label: string }) => Partial<FieldDef>> = {
  select: () => ({ options: starterOptions(2) }),
  multi_select: () => ({ options: starterOptions(2) }),
  radio: () => ({ options: starterOptions(2) }),
  cascade: () => ({ options: starterOptions(1) }),
  relation: ({ form, otherForms }) => ({ target: otherForms[0] ?? form.key }),
  formula: () => ({ expr: '0' }),
  note: ({ label }) => ({ content: label }),
  subtable: () => ({ fields: [{ key: 'item', type: 'text', label: textNow(TEXT, 'starter.item') }] }),
  rollup: () => ({ agg: 'count' }),
  // the first one-record relation of the form, reading the linked form's title (both left empty when there is none)
  lookup: ({ form, app }) => {
    const relation = form.fields.find((f) => f.type === 'relation' && !f.many);
    const target = app.forms.find((f) => f.key === relation?.target);
    const field = (target?.title_field as string | undefined) ?? target?.fields[0]?.key ?? '';
    return { relation: relation?.key ?? '', field };
  },
};

export function blankField(type: string, label: string, form: FormDef, app: { forms: FormDef[] }, fields = form.fields): FieldDef {
  const key = nextFieldKey(fields);
  const otherForms = app.forms.map((f) => f.key).filter((k) => k !== form.key);
  return { key, type, label, ...(STARTERS[type]?.({ form, app, otherForms, label }) ?? {}) };
}

export function insertField(form: FormDef, field: FieldDef, index = form.fields.length): FormDef {
  const fields = [...form.fields];
  fields.splice(Math.max(0, Math.min(index, fields.length)), 0, field);
  return { ...form, fields };
}

/** The list with the item at `from` moved to `to` (dnd-kit's arrayMove, without its import in pure code). */
export function moveItem<T>(items: T[], from: number, to: number): T[] {
  if (from === to || from < 0 || from >= items.length) return items;
  const next = [...items];
  const [moved] = next.splice(from, 1);
  next.splice(Math.max(0, Math.min(to, next.length)), 0, moved);
  return next;
}

export function moveField(form: FormDef, from: number, to: number): FormDef {
  const fields = moveItem(form.fields, from, to);
  return fields === form.fields ? form : { ...form, fields };
}

/** A copy right after the original, under a fresh key; a copied title field is not the title. */
export function duplicateField(form: FormDef, index: number): FormDef {
  const original = form.fields[index];
  if (!original) return form;
  const copy: FieldDef = { ...structuredClone(original), key: nextFieldKey(form.fields, original.key.replace(/_\d+$/, '')) };
  return insertField(form, copy, index + 1);
}

/** The field gone, and every place of the form that named it (title, linkage, de-dupe keys) let go of it. */
export function removeField(form: FormDef, index: number): FormDef {
  const gone = form.fields[index];
  if (!gone) return form;
  const next: FormDef = { ...form, fields: form.fields.filter((_, i) => i !== index) };
  if (next.title_field === gone.key) delete next.title_field;
  const linkage = form.linkage as LinkageRule[] | undefined;
  if (linkage) next.linkage = linkage.map((rule) => withoutKey(rule, gone.key));
  return next;
}

function withoutKey(rule: LinkageRule, key: string): LinkageRule {
  const next: LinkageRule = { ...rule };
  for (const list of ['show', 'hide', 'require'] as const) {
    const kept = next[list]?.filter((k) => k !== key);
    if (kept?.length) next[list] = kept;
    else delete next[list];
  }
  if (next.options && key in next.options) {
    const { [key]: _gone, ...rest } = next.options;
    next.options = rest;
  }
  return next;
}

/** A key renamed, along with the title field and the linkage rules that named it. */
export function renameField(form: FormDef, index: number, key: string): FormDef {
  const old = form.fields[index]?.key;
  if (old === undefined) return form;
  const rename = (k: string) => (k === old ? key : k);
  const next: FormDef = { ...form, fields: form.fields.map((f, i) => (i === index ? { ...f, key } : f)) };
  if (form.title_field === old) next.title_field = key;
  const linkage = form.linkage as LinkageRule[] | undefined;
  if (linkage) {
    next.linkage = linkage.map((rule) => ({
      ...rule,
      ...(rule.show ? { show: rule.show.map(rename) } : {}),
      ...(rule.hide ? { hide: rule.hide.map(rename) } : {}),
      ...(rule.require ? { require: rule.require.map(rename) } : {}),
      ...(rule.options ? { options: Object.fromEntries(Object.entries(rule.options).map(([k, v]) => [rename(k), v])) } : {}),
    }));
  }
  return next;
}

/** A property set, or taken out when it holds the schema's default (so the JSON keeps only what was chosen). */
export function setProp<T extends Record<string, unknown>>(item: T, prop: string, value: unknown, fallback?: unknown): T {
  const next = { ...item } as Record<string, unknown>;
  const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0 && fallback === undefined);
  if (empty || (fallback !== undefined && JSON.stringify(value) === JSON.stringify(fallback))) delete next[prop];
  else next[prop] = value;
  return next as T;
}

export function updateField(form: FormDef, index: number, field: FieldDef): FormDef {
  return { ...form, fields: form.fields.map((f, i) => (i === index ? field : f)) };
}

/** Why a key cannot be used here, or null: the pattern, system names and keys already taken. */
export function keyProblem(key: string, siblings: FieldDef[], self: number): 'pattern' | 'system' | 'taken' | null {
  if (!KEY_PATTERN.test(key)) return 'pattern';
  if (SYSTEM_FIELDS.has(key)) return 'system';
  if (siblings.some((f, i) => i !== self && f.key === key)) return 'taken';
  return null;
}

/** Problems of the form by field index ("/fields/2/label" → 2), and the rest (form-level). */
export function problemsByField(problems: Problem[]): { fields: Map<number, Problem[]>; form: Problem[] } {
  const fields = new Map<number, Problem[]>();
  const form: Problem[] = [];
  for (const p of problems) {
    const match = /^\/fields\/(\d+)(\/|$)/.exec(p.path);
    if (match) {
      const index = Number(match[1]);
      fields.set(index, [...(fields.get(index) ?? []), { ...p, path: p.path.slice(match[0].length - (match[2] ? 1 : 0)) || '/' }]);
    } else {
      form.push(p);
    }
  }
  return { fields, form };
}

/** The problems of one property of a field ("/options/1/value" belongs to "options"). */
export function problemsOfProp(problems: Problem[], prop: string): Problem[] {
  return problems.filter((p) => p.path === `/${prop}` || p.path.startsWith(`/${prop}/`));
}

/** Layout width on the 4-column canvas: the field's own `width`, else what the runtime form gives it. */
const FULL_ROW = new Set(['subtable', 'long_text', 'rich_text', 'address', 'divider', 'note']);
export function spanOf(field: FieldDef): number {
  if (typeof field.width === 'number') return field.width;
  return FULL_ROW.has(field.type) ? 4 : 2;
}

/** Every field laid out `perRow` to a row: widths of 4 / perRow (1, 2 or 4 columns fit the format's 1–4 width). */
export function layoutColumns(form: FormDef, perRow: 1 | 2 | 4): FormDef {
  const width = 4 / perRow;
  return { ...form, fields: form.fields.map((f) => (FULL_ROW.has(f.type) ? f : { ...f, width })) };
}

/** The columns every value field of the form shares now, or undefined when they differ. */
export function currentColumns(form: FormDef): number | undefined {
  const widths = new Set(form.fields.filter((f) => !FULL_ROW.has(f.type)).map(spanOf));
  return widths.size === 1 ? 4 / [...widths][0] : undefined;
}
