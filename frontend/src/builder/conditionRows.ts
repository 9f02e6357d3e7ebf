/**
 * What a rule's condition rows (rules/conditions.ts) and a report's filter rows (report/filters.ts) share: the
 * expression text a row of field – operator – value is written as, and how finished rows are joined. Each keeps its
 * own operators, values and way of reading the text back; report/filters.ts reads these very shapes with patterns,
 * so a change to one of them is a change to those patterns too.
 */

/** How rows are joined: a report's filter always with AND, a rule's condition with either. */
export type Joiner = 'AND' | 'OR';

/** The comparisons, by the key both row editors give them, with the symbol the language writes. */
export const COMPARISON_SYMBOLS = { eq: '=', ne: '!=', gt: '>', ge: '>=', lt: '<', le: '<=' } as const;
export type ComparisonKey = keyof typeof COMPARISON_SYMBOLS;

/** `amount > 100`: `literal` is already written for the field's type. */
export function writeComparison(field: string, key: ComparisonKey, literal: string): string {
  return `${field} ${COMPARISON_SYMBOLS[key]} ${literal}`;
}

/** `CONTAINS(name, 'x')`, `NOT HAS_TAG(tags, 'x')`: a test function on the field and one literal. */
export function writeCall(name: string, field: string, literal: string, negate = false): string {
  return `${negate ? 'NOT ' : ''}${name}(${field}, ${literal})`;
}

/** `region IN ('a', 'b')`: `literals` are written and comma-separated already. */
export function writeIn(field: string, literals: string, negate = false): string {
  return `${field} ${negate ? 'NOT IN' : 'IN'} (${literals})`;
}

/** `ISBLANK(field)`, `NOT ISBLANK(field)`. */
export function writeBlank(field: string, negate = false): string {
  return `${negate ? 'NOT ' : ''}ISBLANK(${field})`;
}

/** The conditions of the finished rows joined; rows not finished (null) are left out, and none at all is ''. */
export function joinConditions(parts: readonly (string | null)[], join: Joiner): string {
  return parts.filter((part): part is string => part !== null).join(` ${join} `);
}

/** A text literal in the language: single quotes, a quote inside doubled, a backslash escaped (it starts an escape). */
export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
