/**
 * The builder's contract with its designers. The workspace (BuilderPage) holds the app's working copy, saves it as
 * the draft, checks it live and publishes it; each section's designer edits one item of its section (a form, a
 * flow, a rule, a report, a dashboard, a role) and never talks to the draft endpoints itself.
 */
import type { ComponentType } from 'react';

/** A problem the server found in the working copy: a JSON pointer into the document and a readable message. */
export interface Problem {
  path: string;
  message: string;
}

/** One item of a section: every item has a key; the rest is the section's own shape (APP_FORMAT.md). */
export interface Item {
  key: string;
  name?: string;
  [property: string]: unknown;
}

export interface FieldDef {
  key: string;
  type: string;
  label?: string;
  fields?: FieldDef[];
  [property: string]: unknown;
}

export interface FormDef extends Item {
  name: string;
  fields: FieldDef[];
}

/** The working copy of an app definition (format `nocode.app/v1`). */
export interface AppDraft {
  format?: string;
  key: string;
  name: string;
  description?: string;
  forms: FormDef[];
  flows?: Item[];
  rules?: Item[];
  reports?: Item[];
  dashboards?: Item[];
  roles?: Item[];
  menus?: Record<string, unknown>[];
  [property: string]: unknown;
}

export type SectionKey = 'forms' | 'flows' | 'rules' | 'reports' | 'dashboards' | 'roles';

export interface DesignerProps<T extends Item = Item> {
  appKey: string;
  /** The whole working copy, for context (other forms and their fields, roles, reports …); read-only. */
  app: AppDraft;
  /** The item being designed. */
  value: T;
  /** Replace the item; the workspace keeps the rest of the app and re-checks it. */
  onChange: (next: T) => void;
  /** Problems inside this item, with paths relative to it ("/fields/2/expr", "/nodes/3/assignees"). */
  problems: Problem[];
  /** The app's published version number: it changes when the working copy is published or rolled back. */
  publishedVersion?: number | null;
}

export interface SectionDesigner<T extends Item = Item> {
  section: SectionKey;
  /** A new item, valid as it stands, with the key and name the person chose. */
  blank: (app: AppDraft, key: string, name: string) => T;
  Designer: ComponentType<DesignerProps<T>>;
}

/** The problems under `prefix` (e.g. "/forms/2"), with the prefix taken off. */
export function problemsUnder(problems: Problem[], prefix: string): Problem[] {
  return problems
    .filter((p) => p.path === prefix || p.path.startsWith(`${prefix}/`))
    .map((p) => ({ ...p, path: p.path.slice(prefix.length) || '/' }));
}
