/** A report's answer: from its saved definition (published) or from the working copy (the designer's preview). */
import { queryString, request } from '../../api';
import type { CellValue, ChartPayload } from '../../charts/types';
import { builderApi } from '../api';

export interface ReportColumn {
  key: string;
  label: string;
  type: string | null;
  role: 'dimension' | 'measure' | 'metric' | null;
}

export interface ReportAnswer {
  report: { key: string; name: string; drill_form?: string };
  columns: ReportColumn[];
  rows: Array<Record<string, CellValue> & { _drill?: string }>;
  totals: Array<Record<string, CellValue>>;
  chart?: ChartPayload;
}

const enc = encodeURIComponent;

export const reportApi = {
  /** An unsaved report run against the published app's data; problems come back as a 422 with details by place. */
  preview(app: string, report: unknown, signal?: AbortSignal): Promise<ReportAnswer> {
    return builderApi.previewReport(app, report, signal) as Promise<ReportAnswer>;
  },
  /** A published report's data, narrowed by field values (`paid_at=this_month`, `customer.leader=3`). */
  data(app: string, report: string, params: Record<string, string> = {}, signal?: AbortSignal): Promise<ReportAnswer> {
    return request('GET', `/api/apps/${enc(app)}/reports/${enc(report)}/data${queryString(params)}`, { signal });
  },
};
