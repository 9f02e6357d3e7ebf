/**
 * Reading a field type's JSON Schema (pydantic's model_json_schema from GET /api/field-types): which properties
 * it has, in what order the panel shows them, and what kind of value each holds — enough to pick an editor.
 */
import type { FieldTypeInfo } from '../api';

export interface PropSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: PropSchema[];
  items?: PropSchema;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  description?: string;
  title?: string;
  $ref?: string;
  [key: string]: unknown;
}

export type PropKind = 'boolean' | 'integer' | 'number' | 'enum' | 'string' | 'strings' | 'json';

/** Properties every field shares, first in the panel in this order; the type's own follow in schema order. */
export const COMMON_PROPS = [
  'label', 'required', 'description', 'placeholder', 'default', 'unique', 'hidden', 'readonly', 'width',
];
/** What a generated or layout field holds no value for, so the panel leaves it out. */
const VALUELESS_PROPS = new Set(['required', 'default', 'unique', 'readonly', 'placeholder']);

export function propertiesOf(info: FieldTypeInfo | undefined): Record<string, PropSchema> {
  return ((info?.schema as { properties?: Record<string, PropSchema> } | undefined)?.properties) ?? {};
}

/** What defines a type, shown right after its label (a formula's expression before its bounds). */
const LEADING: Record<string, string[]> = {
  formula: ['expr', 'result'],
  lookup: ['relation', 'field'],
  rollup: ['source', 'via', 'relation', 'agg', 'field', 'filter', 'parent_filter'],
  relation: ['target', 'many'],
  select: ['options'], multi_select: ['options'], radio: ['options'], cascade: ['options'],
  subtable: ['fields'],
  autonumber: ['pattern'],
  note: ['content'],
};

/** The properties the panel edits for a type, in panel order (key and type have their own places): the label,
 * what defines the type, the common ones, then the rest of the type's own in schema order. */
export function panelProps(info: FieldTypeInfo | undefined): string[] {
  const props = propertiesOf(info);
  const shown = (p: string) => p in props && !(info?.generated && VALUELESS_PROPS.has(p)) && !(p === 'unique' && info && !info.unique);
  const leading = (LEADING[info?.key ?? ''] ?? []).filter(shown);
  const common = COMMON_PROPS.filter((p) => p !== 'label' && shown(p));
  const placed = new Set(['key', 'type', 'label', ...leading, ...common]);
  const own = Object.keys(props).filter((p) => !placed.has(p) && shown(p));
  return [...(shown('label') ? ['label'] : []), ...leading, ...common, ...own];
}

/** The schema without its "or null" branch (pydantic writes `X | None` as anyOf [X, null]). */
export function nonNull(schema: PropSchema): PropSchema {
  const branches = (schema.anyOf ?? []).filter((b) => b.type !== 'null');
  if (branches.length === 1) return { ...schema, ...branches[0], anyOf: undefined };
  return schema;
}

export function kindOf(schema: PropSchema): PropKind {
  const s = nonNull(schema);
  if (Array.isArray(s.enum)) return 'enum';
  if (s.type === 'boolean') return 'boolean';
  if (s.type === 'integer') return 'integer';
  if (s.type === 'number') return 'number';
  if (s.type === 'string') return 'string';
  if (s.type === 'array' && s.items?.type === 'string') return 'strings';
  return 'json';
}

export function enumValues(schema: PropSchema): string[] {
  return (nonNull(schema).enum ?? []).map(String);
}
