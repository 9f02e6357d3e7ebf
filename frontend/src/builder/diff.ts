/**
 * What publishing would change: the working copy against the published definition, item by item (keyed), and for
 * forms field by field — what the publish dialog lists before anyone confirms.
 */
import type { AppDraft, FieldDef, Item, SectionKey } from './types';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface FieldChange {
  key: string;
  label: string;
  kind: ChangeKind;
  /** For a changed field: its type before and after, when that changed. */
  retyped?: [string, string];
}

export interface ItemChange {
  section: SectionKey | 'settings';
  key: string;
  name: string;
  kind: ChangeKind;
  fields: FieldChange[];
}

export const DIFF_SECTIONS: SectionKey[] = ['forms', 'flows', 'rules', 'reports', 'dashboards', 'roles'];
const SETTINGS = ['name', 'description', 'menus', 'views', 'print_templates', 'decision_tables', 'connectors'];

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function byKey<T extends { key: string }>(items: T[] | undefined): Map<string, T> {
  return new Map((items ?? []).map((item) => [item.key, item]));
}

function fieldChanges(before: FieldDef[], after: FieldDef[]): FieldChange[] {
  const old = byKey(before);
  const now = byKey(after);
  const label = (f: FieldDef) => f.label ?? f.key;
  const changes: FieldChange[] = [];
  for (const f of after) {
    const was = old.get(f.key);
    if (!was) changes.push({ key: f.key, label: label(f), kind: 'added' });
    else if (!same(was, f))
      changes.push({ key: f.key, label: label(f), kind: 'changed', ...(was.type !== f.type ? { retyped: [was.type, f.type] as [string, string] } : {}) });
  }
  for (const f of before) if (!now.has(f.key)) changes.push({ key: f.key, label: label(f), kind: 'removed' });
  return changes;
}

export function diffApps(published: AppDraft | null, working: AppDraft): ItemChange[] {
  const changes: ItemChange[] = [];
  const changedSettings = SETTINGS.filter((key) => !same(published?.[key], working[key]));
  if (changedSettings.length)
    changes.push({ section: 'settings', key: changedSettings.join(','), name: working.name, kind: 'changed', fields: [] });
  for (const section of DIFF_SECTIONS) {
    const before = (published?.[section] as Item[] | undefined) ?? [];
    const after = (working[section] as Item[] | undefined) ?? [];
    const old = byKey(before);
    const now = byKey(after);
    const name = (item: Item) => (typeof item.name === 'string' && item.name) || item.key;
    for (const item of after) {
      const was = old.get(item.key);
      if (!was) {
        changes.push({ section, key: item.key, name: name(item), kind: 'added', fields: [] });
      } else if (!same(was, item)) {
        const fields = section === 'forms' ? fieldChanges((was.fields as FieldDef[]) ?? [], (item.fields as FieldDef[]) ?? []) : [];
        changes.push({ section, key: item.key, name: name(item), kind: 'changed', fields });
      }
    }
    for (const item of before) if (!now.has(item.key)) changes.push({ section, key: item.key, name: name(item), kind: 'removed', fields: [] });
  }
  return changes;
}
