import { fireEvent, render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../components/I18nProvider';
import { ReportChart } from './ReportChart';
import type { ChartPayload } from './types';

// jsdom has no canvas: stand in for ECharts and keep what the component hands it.
const fake = vi.hoisted(() => ({
  setOption: vi.fn(),
  dispose: vi.fn(),
  resize: vi.fn(),
  click: undefined as undefined | ((params: unknown) => void),
}));
vi.mock('echarts/core', () => ({
  use: vi.fn(),
  init: vi.fn(() => ({
    setOption: fake.setOption,
    dispose: fake.dispose,
    resize: fake.resize,
    on: (event: string, handler: (params: unknown) => void) => {
      if (event === 'click') fake.click = handler;
    },
  })),
}));

function draw(chart: ChartPayload, onDrill = vi.fn(), lang: 'zh-CN' | 'en-US' = 'zh-CN') {
  render(
    <I18nProvider initialLang={lang}>
      <ReportChart chart={chart} onDrill={onDrill} />
    </I18nProvider>,
  );
  return onDrill;
}

describe('ReportChart', () => {
  beforeEach(() => {
    fake.setOption.mockClear();
    fake.click = undefined;
  });

  it('hands the server option to ECharts and opens the records of a clicked bar', () => {
    const option = {
      xAxis: { type: 'category', data: ['王团长'] },
      series: [{ type: 'bar', data: [{ value: 1, drill: 'leader = 3' }] }],
    };
    const onDrill = draw({ type: 'bar', option });
    expect(fake.setOption).toHaveBeenCalledWith(option, { notMerge: true });
    fake.click?.({ data: { value: 1, drill: 'leader = 3' } });
    fake.click?.({ data: 2 });
    expect(onDrill).toHaveBeenCalledTimes(1);
    expect(onDrill).toHaveBeenCalledWith('leader = 3');
  });

  it('captions a gauge with its target', () => {
    draw({ type: 'gauge', option: { series: [] }, value: 12500.5, target: 20000, progress: 0.625 });
    expect(screen.getByText('目标 20,000 · 完成 62.5%')).toBeInTheDocument();
  });

  it('draws a table with relation labels, a totals row and clickable rows', () => {
    const onDrill = draw({
      type: 'table',
      columns: [
        { key: 'leader', label: '团长', type: 'relation', role: 'dimension' },
        { key: 'gmv', label: '销售额', type: 'number', role: 'measure' },
      ],
      rows: [{ leader: { id: 3, label: '王团长' }, gmv: 8200.5, _drill: 'leader = 3' }, { leader: null, gmv: 120 }],
      totals: { gmv: 8320.5 },
    });
    expect(screen.getByRole('columnheader', { name: '销售额' })).toBeInTheDocument();
    expect(screen.getByText('8,320.5')).toBeInTheDocument();
    expect(screen.getByText('合计')).toBeInTheDocument();
    fireEvent.click(screen.getByText('王团长'));
    expect(onDrill).toHaveBeenCalledWith('leader = 3');
  });

  it('draws a KPI card with its change against the previous period', () => {
    draw({
      type: 'kpi', label: '销售额', value_type: 'number', value: 5200.5, previous: 2500, change: 1.0802,
      period: '2026-03', previous_period: '2026-02',
    });
    expect(screen.getByText('销售额 · 2026-03')).toBeInTheDocument();
    expect(screen.getByText('5,200.5')).toBeInTheDocument();
    expect(screen.getByText(/\+108\.0%/)).toBeInTheDocument();
    expect(screen.getByText('较2026-02 2,500')).toBeInTheDocument();
  });

  it('draws a ranking with shared ranks and opens a leader on click', () => {
    const onDrill = draw({
      type: 'ranking',
      name: { key: 'leader', label: '团长', type: 'relation', role: 'dimension' },
      value: { key: 'gmv', label: '销售额', type: 'number', role: 'measure' },
      others: [],
      items: [
        { rank: 1, name: '王团长', value: 8200.5, values: {}, drill: 'leader = 3' },
        { rank: 2, name: '李团长', value: 4300, values: {} },
        { rank: 2, name: '赵团长', value: 4300, values: {} },
      ],
    }, vi.fn(), 'en-US');
    expect(screen.getByRole('columnheader', { name: 'Rank' })).toBeInTheDocument();
    expect(screen.getAllByText('2')).toHaveLength(2);
    fireEvent.click(screen.getByText('王团长'));
    expect(onDrill).toHaveBeenCalledWith('leader = 3');
  });

  it('draws a pivot table with its totals row', () => {
    draw({
      type: 'pivot',
      row_fields: [{ key: 'month', label: '月份', type: 'period', role: 'dimension' }],
      column_fields: [{ key: 'leader', label: '团长', type: 'relation', role: 'dimension' }],
      values: [{ key: 'gmv', label: '销售额', type: 'number', role: 'measure' }],
      row_headers: [['2026-01']],
      column_headers: [['王团长'], ['李团长']],
      cells: [[[3000], [1800]]],
      row_totals: [[4800]],
      column_totals: [[3000], [1800]],
      grand_total: [4800],
    });
    expect(screen.getByRole('columnheader', { name: '王团长' })).toBeInTheDocument();
    expect(screen.getAllByText('4,800')).toHaveLength(2); // the row's total and the grand total
  });

  it('says so for a chart type it does not know', () => {
    draw({ type: 'sankey', rows: [] } as unknown as ChartPayload);
    expect(screen.getByText('不支持的图表类型：sankey')).toBeInTheDocument();
  });
});
