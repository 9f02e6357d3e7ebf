import { useState } from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../../components/I18nProvider';
import { errorBody, mockFetch } from '../../test/utils';
import type { AppDraft } from '../types';
import { reportDesigner } from '.';
import type { ReportDef } from './model';

// jsdom has no canvas: stand in for ECharts and keep the option the chart was given.
const fake = vi.hoisted(() => ({ setOption: vi.fn() }));
vi.mock('echarts/core', () => ({
  use: vi.fn(),
  init: vi.fn(() => ({ setOption: fake.setOption, dispose: vi.fn(), resize: vi.fn(), on: vi.fn() })),
}));

const APP: AppDraft = {
  key: 'shop',
  name: '小店',
  forms: [{
    key: 'order', name: '订单', fields: [
      { key: 'status', type: 'select', label: '状态' },
      { key: 'amount', type: 'money', label: '金额' },
    ],
  }],
};

const ANSWER = {
  report: { key: 'r', name: 'R' },
  columns: [
    { key: 'status', label: '状态', type: 'select', role: 'dimension' },
    { key: 'sum_amount', label: '金额', type: 'money', role: 'measure' },
  ],
  rows: [{ status: '已支付', sum_amount: 30 }, { status: '待支付', sum_amount: 12 }],
  totals: [],
  chart: { type: 'bar', option: { xAxis: { data: ['已支付', '待支付'] }, series: [] } },
};

function Harness({ onReport }: { onReport: (r: ReportDef) => void }) {
  const [report, setReport] = useState(reportDesigner.blank(APP, 'r', 'R') as ReportDef);
  const { Designer } = reportDesigner;
  return (
    <I18nProvider initialLang="zh-CN">
      <Designer appKey="shop" app={APP} value={report} problems={[]}
        onChange={(next) => { setReport(next as ReportDef); onReport(next as ReportDef); }} />
    </I18nProvider>
  );
}

async function addFrom(field: string, zone: string) {
  fireEvent.click(screen.getByTestId(`report-field-add-${field}`));
  // each field's menu stays in the page once opened: the newest is the last
  fireEvent.click((await screen.findAllByText(zone)).at(-1)!);
}

describe('ReportDesigner', () => {
  it('adds fields by click, switches to a bar chart and previews the working report with ReportChart', async () => {
    const calls = mockFetch({ 'POST /api/apps/shop/reports/preview': { body: ANSWER } });
    const onReport = vi.fn();
    render(<Harness onReport={onReport} />);
    await addFrom('status', '添加为维度');
    await addFrom('amount', '添加为指标');
    fireEvent.click(screen.getByTestId('report-chart-type-bar'));
    const last = onReport.mock.calls.at(-1)![0] as ReportDef;
    expect(last.dimensions).toEqual([{ field: 'status', as: 'status' }]);
    expect(last.measures).toEqual([
      { agg: 'count', as: 'count' },
      { agg: 'sum', field: 'amount', as: 'sum_amount', label: '金额（求和）' },
    ]);
    expect(last.chart).toEqual({ type: 'bar', x: 'status', y: ['count', 'sum_amount'] });

    const chart = await screen.findByTestId('report-preview-chart');
    expect(chart).toHaveAttribute('data-categories', '已支付|待支付');
    expect(fake.setOption).toHaveBeenCalledWith(ANSWER.chart.option, { notMerge: true });
    // debounced: one request with the newest report, not one per edit
    const previews = calls.filter((c) => c.path.endsWith('/reports/preview'));
    expect(previews).toHaveLength(1);
    expect(previews[0].body).toEqual(last);

    fireEvent.click(within(screen.getByTestId('report-preview-mode')).getByText('数据'));
    expect(within(screen.getByTestId('report-preview-table')).getByText('已支付')).toBeInTheDocument();
  });

  it('shows the server’s problems under the place they name', async () => {
    mockFetch({
      'POST /api/apps/shop/reports/preview': {
        status: 422,
        body: errorBody('invalid', '报表有问题', [{ path: '/measures/1/field', message: '字段 amount 不存在' }]),
      },
    });
    render(<Harness onReport={vi.fn()} />);
    await addFrom('amount', '添加为指标');
    const measure = screen.getByTestId('report-measure-1');
    expect(await within(measure).findByText('字段 amount 不存在')).toBeInTheDocument();
  });

  it('writes filter rows as the report filter', async () => {
    mockFetch({ 'POST /api/apps/shop/reports/preview': { body: ANSWER } });
    const onReport = vi.fn();
    render(<Harness onReport={onReport} />);
    await addFrom('amount', '添加为筛选');
    expect(onReport).not.toHaveBeenCalled(); // a row without a value is no condition yet
    fireEvent.change(screen.getByTestId('report-filter-value-0'), { target: { value: '100' } });
    expect((onReport.mock.calls.at(-1)![0] as ReportDef).filter).toBe('amount = 100');
  });
});
