/** The rule designer's endpoints: the action types, the preview count and "run now". */
import { request } from '../../api';

const enc = encodeURIComponent;

export interface ActionTypeInfo {
  action: string;
  label: { 'zh-CN': string; en: string };
  /** Does work per record (flows, notifications …) besides, or instead of, changing fields. */
  acts: boolean;
  schema: Record<string, unknown>;
}

export interface PreviewCount {
  matched: number;
  total: number;
}

export interface RunResult {
  matched: number;
  changed: number;
  acted: number;
  failed: number;
}

export const rulesApi = {
  actionTypes(signal?: AbortSignal): Promise<ActionTypeInfo[]> {
    return request('GET', '/api/rules/actions', { signal });
  },
  /** How many records of the published form the condition holds for now (422 at /when or /form otherwise). */
  preview(app: string, body: { form: string; when: string }, signal?: AbortSignal): Promise<PreviewCount> {
    return request('POST', `/api/apps/${enc(app)}/rules/preview`, { body, signal });
  },
  run(app: string, rule: string): Promise<RunResult> {
    return request('POST', `/api/apps/${enc(app)}/rules/${enc(rule)}/run`);
  },
};
