/** The builder's endpoints: the app lifecycle, templates, field types, expressions and previews. */
import { download, request, type AppSummary } from '../api';
import type { AppDraft, Problem } from './types';

const enc = encodeURIComponent;
const appPath = (app: string) => `/api/apps/${enc(app)}`;

export interface FieldTypeInfo {
  key: string;
  label: { 'zh-CN': string; en: string };
  icon: string;
  widget: string;
  storage: string | null;
  unique: boolean;
  generated: boolean;
  in_subtable: boolean;
  /** JSON Schema of the type's properties (pydantic). */
  schema: Record<string, unknown>;
}

export interface FunctionInfo {
  name: string;
  [property: string]: unknown;
}

export interface VersionInfo {
  version: number;
  note: string | null;
  published_at: string;
  published_by: number | null;
}

export interface TemplateInfo {
  key: string;
  /** The key the app gets unless another is chosen. */
  app_key: string;
  name: string;
  description: string;
  counts: Record<string, number>;
  has_demo: boolean;
}

export interface ExprCheck {
  type: string;
  reads: string[];
}

export const builderApi = {
  /** The draft when there is one, else the published definition (which becomes the working copy). */
  async workingCopy(app: string, signal?: AbortSignal): Promise<{ app: AppDraft; fromDraft: boolean }> {
    try {
      return { app: await request<AppDraft>('GET', `${appPath(app)}/draft`, { signal }), fromDraft: true };
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
      return { app: await request<AppDraft>('GET', appPath(app), { signal }), fromDraft: false };
    }
  },
  published(app: string, signal?: AbortSignal): Promise<AppDraft> {
    return request<AppDraft>('GET', appPath(app), { signal });
  },
  saveDraft(app: string, doc: AppDraft): Promise<{ key: string; saved: boolean }> {
    return request('PUT', `${appPath(app)}/draft`, { body: doc });
  },
  /** Every problem of a working copy, without saving it. */
  check(app: string, doc: AppDraft, signal?: AbortSignal): Promise<{ problems: Problem[] }> {
    return request('POST', `${appPath(app)}/draft/check`, { body: doc, signal });
  },
  discardDraft(app: string): Promise<void> {
    return request('DELETE', `${appPath(app)}/draft`);
  },
  publish(app: string): Promise<{ key: string; version: number }> {
    return request('POST', `${appPath(app)}/publish`);
  },
  versions(app: string, signal?: AbortSignal): Promise<VersionInfo[]> {
    return request('GET', `${appPath(app)}/versions`, { signal });
  },
  version(app: string, version: number, signal?: AbortSignal): Promise<AppDraft> {
    return request('GET', `${appPath(app)}/versions/${version}`, { signal });
  },
  rollback(app: string, version: number): Promise<{ key: string; version: number }> {
    return request('POST', `${appPath(app)}/rollback`, { body: { version } });
  },
  exportApp(app: string): Promise<void> {
    return download(`${appPath(app)}/export`, `${app}.json`);
  },
  importApp(doc: unknown, demoData = false): Promise<{ key: string; version: number }> {
    return request('POST', `/api/apps/import${demoData ? '?demo_data=true' : ''}`, { body: doc });
  },
  templates(signal?: AbortSignal): Promise<TemplateInfo[]> {
    return request('GET', '/api/templates', { signal });
  },
  installTemplate(template: string, body: { key?: string; name?: string; demo_data?: boolean; scale?: number }): Promise<{ key: string; version: number }> {
    return request('POST', `/api/templates/${enc(template)}/install`, { body });
  },
  listApps(signal?: AbortSignal): Promise<AppSummary[]> {
    return request('GET', '/api/apps', { signal });
  },
  fieldTypes(signal?: AbortSignal): Promise<FieldTypeInfo[]> {
    return request('GET', '/api/field-types', { signal });
  },
  functions(signal?: AbortSignal): Promise<FunctionInfo[]> {
    return request('GET', '/api/expr/functions', { signal });
  },
  /**
   * The type of an expression on `form` (a form key or "order.lines"); against the working copy when given, so
   * fields not yet published count. A problem answers 422 with `details[0].path` "/expr" and the position.
   */
  checkExpr(
    body: { app: string; form: string; expr: string; expect?: string; definition?: AppDraft },
    signal?: AbortSignal,
  ): Promise<ExprCheck> {
    return request('POST', '/api/expr/check', { body, signal });
  },
  /** An unsaved report run against the published app's data. */
  previewReport(app: string, report: unknown, signal?: AbortSignal): Promise<unknown> {
    return request('POST', `${appPath(app)}/reports/preview`, { body: report, signal });
  },
};
