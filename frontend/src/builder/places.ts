/** Where a problem is, in words a builder understands: which section, which item, and the rest of the pointer. */
import type { AppDraft, Item, Problem, SectionKey } from './types';

export const SECTION_KEYS: SectionKey[] = ['forms', 'flows', 'rules', 'reports', 'dashboards', 'roles'];

export interface Place {
  section: SectionKey | null;
  item: Item | null;
  /** The pointer inside the item (or inside the app, for settings). */
  rest: string;
}

export function placeOf(app: AppDraft, path: string): Place {
  const [, head, index, ...tail] = path.split('/');
  if (SECTION_KEYS.includes(head as SectionKey) && index !== undefined) {
    const item = ((app[head] as Item[] | undefined) ?? [])[Number(index)] ?? null;
    return { section: head as SectionKey, item, rest: tail.length ? `/${tail.join('/')}` : '' };
  }
  return { section: null, item: null, rest: path };
}

/** Problems per item, as "section/key" → count, for the badges of the side list. */
export function problemCounts(app: AppDraft, problems: Problem[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of problems) {
    const place = placeOf(app, p.path);
    const id = place.section && place.item ? `${place.section}/${place.item.key}` : 'settings';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** A key not yet used in the section: the ASCII words of the name, else the section's stem and a number. */
export function suggestKey(app: AppDraft, section: SectionKey, name: string): string {
  const taken = new Set(((app[section] as Item[] | undefined) ?? []).map((it) => it.key));
  const words = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+|_+$/g, '')
    .slice(0, 32);
  const stem = words || { forms: 'form', flows: 'flow', rules: 'rule', reports: 'report', dashboards: 'dashboard', roles: 'role' }[section];
  if (words && !taken.has(words)) return words;
  for (let n = 1; ; n += 1) if (!taken.has(`${stem}_${n}`)) return `${stem}_${n}`;
}
