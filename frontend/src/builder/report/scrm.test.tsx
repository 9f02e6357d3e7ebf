/** Every report and dashboard of the SCRM template opens in its designer, and filters the rows can show round-trip. */
import { render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../../components/I18nProvider';
import { mockFetch } from '../../test/utils';
import { dashboardDesigner } from '../dashboard';
import type { AppDraft, Item } from '../types';
import { reportDesigner } from '.';
import { compileRows, parseRows } from './filters';
import { sourceFields, type ReportDef } from './model';

vi.mock('echarts/core', () => ({
  use: vi.fn(),
  init: vi.fn(() => ({ setOption: vi.fn(), dispose: vi.fn(), resize: vi.fn(), on: vi.fn() })),
}));

// the template lies outside the frontend, where Vite does not serve files: read it from disk (tests run in frontend/)
const fs = await vi.importActual<{ readFileSync: (path: string, encoding: 'utf8') => string }>('node:fs');
const SCRM = JSON.parse(fs.readFileSync('../templates/scrm_app.json', 'utf8')) as AppDraft;
const REPORTS = SCRM.reports as ReportDef[];

describe('the SCRM template in the designers', () => {
  it('reads back every report filter the condition rows can show, to the same text', () => {
    const shown = REPORTS.filter((report) => {
      const rows = parseRows(report.filter);
      if (!rows) return false;
      const fields = sourceFields(SCRM, report.source);
      expect(compileRows(rows, (p) => fields.find((f) => f.path === p)?.field)).toBe(report.filter);
      return true;
    });
    expect(shown.length).toBeGreaterThan(20);
  });

  // a monthly combo, a sub-table's rows with a parent filter, a heatmap over a formula filter
  const SAMPLE = REPORTS.filter((r) => ['gmv_by_month', 'hot_products', 'rfm_matrix', 'repurchase_half_year'].includes(r.key));
  it.each(SAMPLE.map((r) => [r.key, r] as const))('report %s opens with its zones filled', (_key, report) => {
    mockFetch({});
    render(
      <I18nProvider initialLang="zh-CN">
        <reportDesigner.Designer appKey="scrm" app={SCRM} value={report} problems={[]} onChange={vi.fn()} />
      </I18nProvider>,
    );
    (report.dimensions ?? []).forEach((d, i) =>
      expect(screen.getByTestId(`report-dimension-${i}`)).toHaveAttribute('data-field', d.field));
    expect(screen.getAllByTestId(/^report-measure-\d+$/)).toHaveLength((report.measures ?? []).length);
    if (parseRows(report.filter) === null) expect(screen.getByTestId('report-filter-formula')).toHaveValue(report.filter);
    else expect(screen.queryByTestId('report-filter-formula')).toBeNull();
  });

  it.each((SCRM.dashboards as Item[]).map((d) => [d.key, d] as const))('dashboard %s opens with its widgets', (_key, board) => {
    mockFetch({});
    render(
      <I18nProvider initialLang="zh-CN">
        <dashboardDesigner.Designer appKey="scrm" app={SCRM} value={board} problems={[]} onChange={vi.fn()} />
      </I18nProvider>,
    );
    expect(screen.getAllByTestId(/^dashboard-filter-\d+$/)).toHaveLength((board.filters as unknown[]).length);
  });
});
