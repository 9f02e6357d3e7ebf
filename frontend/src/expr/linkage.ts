/**
 * Form linkage in the browser: which fields are hidden, which are required and which options may be chosen,
 * for the values on the screen — the same rules the server applies when the record arrives.
 *
 * RULE = {when, show?, hide?, require?, options?: {field: [allowed values]}}. A condition that is empty or
 * fails counts as false. A field named in some rule's `show` is hidden unless one of those rules holds; a field
 * in the `hide` of a rule that holds is hidden. Required: the field's own `required`, or named in the `require`
 * of a rule that holds — never when hidden. Options: the union of the lists of the rules that hold and name the
 * field (in the field's own option order), else all of them. A sub-table field's own `linkage` works the same
 * over each row's fields.
 */
import { evaluate, parseCached, type EvalContext, type FieldDef, type FormSchema } from './evaluate';
import { truthy } from './values';

export interface LinkageRule {
  when: string;
  show?: string[];
  hide?: string[];
  require?: string[];
  options?: Record<string, string[]>;
}

export interface LinkageState {
  hidden: Set<string>;
  required: Set<string>;
  /** Every choice field's allowed option values. */
  options: Map<string, string[]>;
}

export interface LinkageScope {
  /** The fields the rules speak of: the form's, or a sub-table's row fields. */
  fields: readonly FieldDef[];
  ctx: EvalContext;
  /** The app's other forms, for conditions that read through a relation. */
  forms?: Record<string, FormSchema>;
  /** The fields are a sub-table row's (no system fields). */
  row?: boolean;
}

/** Whether a rule's condition holds; an empty result or any error (a bad text, a failing function) is false. */
export function conditionHolds(when: string, values: Record<string, unknown>, scope: LinkageScope): boolean {
  try {
    const node = parseCached(when);
    const value = evaluate(node, { values, fields: scope.fields, forms: scope.forms, row: scope.row }, scope.ctx);
    return truthy(value);
  } catch {
    return false;
  }
}

export function optionValues(field: FieldDef): string[] {
  return (field.options ?? []).map((o) => (typeof o === 'string' ? o : o.value));
}

export function linkageState(
  rules: readonly LinkageRule[] | undefined, values: Record<string, unknown>, scope: LinkageScope,
): LinkageState {
  const holding = (rules ?? []).map((rule) => conditionHolds(rule.when, values, scope));
  const shownBy = new Map<string, boolean>(); // field → whether some rule naming it in `show` holds
  const hidden = new Set<string>();
  const allowed = new Map<string, Set<string>>();
  const wanted = new Set<string>();
  (rules ?? []).forEach((rule, i) => {
    for (const key of rule.show ?? []) shownBy.set(key, (shownBy.get(key) ?? false) || holding[i]);
    if (!holding[i]) return;
    for (const key of rule.hide ?? []) hidden.add(key);
    for (const key of rule.require ?? []) wanted.add(key);
    for (const [key, list] of Object.entries(rule.options ?? {})) {
      const set = allowed.get(key) ?? new Set<string>();
      list.forEach((value) => set.add(value));
      allowed.set(key, set);
    }
  });
  for (const [key, shown] of shownBy) if (!shown) hidden.add(key);
  const required = new Set<string>();
  for (const f of scope.fields) if (f.required) wanted.add(f.key);
  for (const key of wanted) if (!hidden.has(key)) required.add(key);
  const options = new Map<string, string[]>();
  for (const f of scope.fields) {
    if (!Array.isArray(f.options)) continue;
    const all = optionValues(f);
    const only = allowed.get(f.key);
    options.set(f.key, only ? all.filter((value) => only.has(value)) : all);
  }
  return { hidden, required, options };
}

/** The linkage of one sub-table row: the sub-table field's own rules over the row's fields. */
export function rowLinkageState(
  subtable: FieldDef, row: Record<string, unknown>, scope: Omit<LinkageScope, 'fields' | 'row'>,
): LinkageState {
  return linkageState(subtable.linkage as LinkageRule[] | undefined, row, { ...scope, fields: subtable.fields ?? [], row: true });
}

/** The values to send: hidden fields cleared to null, choices outside the allowed options removed (a single
 * choice becomes null, a multiple choice keeps its allowed items), and the same for every sub-table row. */
export function valuesToSubmit(
  rules: readonly LinkageRule[] | undefined, values: Record<string, unknown>, scope: LinkageScope,
): Record<string, unknown> {
  const state = linkageState(rules, values, scope);
  const result: Record<string, unknown> = { ...values };
  for (const f of scope.fields) {
    if (!(f.key in result)) continue;
    if (state.hidden.has(f.key)) {
      result[f.key] = null;
      continue;
    }
    const value = result[f.key];
    const allowed = state.options.get(f.key);
    if (allowed && value !== null && value !== undefined) {
      if (Array.isArray(value)) result[f.key] = value.filter((item) => allowed.includes(String(item)));
      else if (!allowed.includes(String(value))) result[f.key] = null;
    }
    if (f.type === 'subtable' && Array.isArray(value)) {
      result[f.key] = value.map((row) => (row && typeof row === 'object'
        ? valuesToSubmit(f.linkage as LinkageRule[] | undefined, row as Record<string, unknown>,
          { ...scope, fields: f.fields ?? [], row: true })
        : row));
    }
  }
  return result;
}
