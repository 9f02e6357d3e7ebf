/**
 * Formula fields worked out in the browser as a record is typed, for display only: the server computes and stores
 * the value that counts when the record is saved. A formula the browser cannot work out (it reads through a
 * relation to a record not on the screen, or fails) has no live value and shows what the server last said.
 */
import { evaluate, parseCached, toJSONValue } from './evaluate';
import type { LinkageScope } from './linkage';
import { walk, type ExprNode } from './parser';

interface FormulaField {
  key: string;
  type: string;
  expr?: unknown;
}

/** Whether every name the formula reads is on the screen: its own fields and sub-table columns, not linked records. */
function onScreen(node: ExprNode, fields: FormulaField[]): boolean {
  const subtables = new Set(fields.filter((f) => f.type === 'subtable').map((f) => f.key));
  for (const n of walk(node)) if (n.type === 'name' && n.path.length > 1 && !subtables.has(n.path[0])) return false;
  return true;
}

/** The formulas' values for the values on the screen; a formula may read others (up to the form's depth). */
export function liveFormulas(values: Record<string, unknown>, scope: LinkageScope): Record<string, unknown> {
  const formulas = (scope.fields as unknown as FormulaField[]).filter((f) => f.type === 'formula' && typeof f.expr === 'string');
  const known: Record<string, unknown> = {};
  // each pass settles at least one more link of a chain of formulas; as many passes as formulas is enough
  for (let pass = 0; pass < formulas.length; pass += 1) {
    let changed = false;
    for (const f of formulas) {
      let value: unknown;
      try {
        const node = parseCached(f.expr as string);
        if (!onScreen(node, scope.fields as unknown as FormulaField[])) continue;
        value = toJSONValue(evaluate(node, { values: { ...values, ...known }, fields: scope.fields, forms: scope.forms, row: scope.row }, scope.ctx));
      } catch {
        continue;
      }
      if (value !== undefined && JSON.stringify(value) !== JSON.stringify(known[f.key])) {
        known[f.key] = value;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return known;
}
