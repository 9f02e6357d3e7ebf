/**
 * A role's `permissions` (APP_FORMAT.md ROLE, engines/access.py) as a form × operation matrix, pure.
 * The matrix edits each form's first permission; a role may hold more for the same form (read all, update own) —
 * those are kept as they are. A form left with no operations is left out, as the format expects.
 */
import type { FieldDef, FormDef } from '../types';

export const OPS = ['read', 'create', 'update', 'delete', 'import', 'export'] as const;
export type Op = (typeof OPS)[number];
/** Row scopes by name; anything else in `rows` is an expression over the record. */
export const SCOPES = ['all', 'department', 'subordinates', 'own', 'member'] as const;
export const MODES = ['editable', 'readonly', 'hidden'] as const;
export type Mode = (typeof MODES)[number];

export interface Permission {
  form: string;
  ops: Op[];
  rows?: string;
  fields?: Record<string, Mode>;
}

/** The index of the form's first permission, the one the matrix shows (-1: none). */
export function primaryIndex(permissions: Permission[], form: string): number {
  return permissions.findIndex((p) => p.form === form);
}

export function primaryOf(permissions: Permission[], form: string): Permission | undefined {
  return permissions[primaryIndex(permissions, form)];
}

/** How many more permissions the role holds for the form beyond the one the matrix shows. */
export function extraCount(permissions: Permission[], form: string): number {
  return Math.max(0, permissions.filter((p) => p.form === form).length - 1);
}

function replacePrimary(permissions: Permission[], form: string, next: Permission | null): Permission[] {
  const index = primaryIndex(permissions, form);
  if (index < 0) return next ? [...permissions, next] : permissions;
  return next ? permissions.map((p, i) => (i === index ? next : p)) : permissions.filter((_, i) => i !== index);
}

/** Tick or untick one operation of a form; the form's permission goes when its last operation does. */
export function setOp(permissions: Permission[], form: string, op: Op, on: boolean): Permission[] {
  const current = primaryOf(permissions, form) ?? { form, ops: [] };
  const ops = OPS.filter((o) => (o === op ? on : current.ops.includes(o)));
  return replacePrimary(permissions, form, ops.length ? { ...current, ops } : null);
}

/** Every operation of a form on or off (the row's "all" box). */
export function setAllOps(permissions: Permission[], form: string, on: boolean): Permission[] {
  const current = primaryOf(permissions, form) ?? { form, ops: [] };
  return replacePrimary(permissions, form, on ? { ...current, ops: [...OPS] } : null);
}

/** One operation for every form on or off (the column's box). */
export function setOpForAll(permissions: Permission[], forms: string[], op: Op, on: boolean): Permission[] {
  return forms.reduce((perms, form) => setOp(perms, form, op, on), permissions);
}

/** The form's row scope: a named scope, or an expression. "all" is the default and is left out. */
export function setRows(permissions: Permission[], form: string, rows: string): Permission[] {
  const current = primaryOf(permissions, form);
  if (!current) return permissions;
  const { rows: _old, ...rest } = current;
  return replacePrimary(permissions, form, rows === 'all' ? rest : { ...rest, rows });
}

export function rowsOf(permission: Permission | undefined): string {
  return permission?.rows ?? 'all';
}

export function isNamedScope(rows: string): boolean {
  return (SCOPES as readonly string[]).includes(rows);
}

/** A field's access; editable is the default and is left out (and `fields` with it when empty). */
export function setFieldMode(permissions: Permission[], form: string, field: string, mode: Mode): Permission[] {
  const current = primaryOf(permissions, form);
  if (!current) return permissions;
  const fields = { ...(current.fields ?? {}) };
  if (mode === 'editable') delete fields[field];
  else fields[field] = mode;
  const { fields: _old, ...rest } = current;
  return replacePrimary(permissions, form, Object.keys(fields).length ? { ...rest, fields } : rest);
}

export function fieldModeOf(permission: Permission | undefined, field: string): Mode {
  return permission?.fields?.[field] ?? 'editable';
}

const LAYOUT = new Set(['divider', 'note']);

export interface AccessField {
  /** "cost", or "lines.cost" inside a sub-table */
  path: string;
  label: string;
  depth: number;
}

/** The fields access can be set on: the form's own, and a sub-table's fields as "lines.cost". */
export function accessFields(form: FormDef): AccessField[] {
  const out: AccessField[] = [];
  const visit = (fields: FieldDef[], prefix: string, depth: number) => {
    for (const f of fields) {
      if (LAYOUT.has(f.type)) continue;
      out.push({ path: prefix + f.key, label: f.label ?? f.key, depth });
      if (f.type === 'subtable' && Array.isArray(f.fields)) visit(f.fields, `${prefix}${f.key}.`, depth + 1);
    }
  };
  visit(form.fields ?? [], '', 0);
  return out;
}
