import { useState } from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../../components/I18nProvider';
import { mockFetch } from '../../test/utils';
import type { AppDraft } from '../types';
import { dashboardDesigner } from '.';
import type { DashboardDef } from './layout';

vi.mock('echarts/core', () => ({
  use: vi.fn(),
  init: vi.fn(() => ({ setOption: vi.fn(), dispose: vi.fn(), resize: vi.fn(), on: vi.fn() })),
}));

const GMV = { key: 'gmv', name: 'GMV', source: 'order', measures: [{ agg: 'count', as: 'n' }], chart: { type: 'table' } };
const NEW = { key: 'fresh', name: '新报表', source: 'order', measures: [{ agg: 'count', as: 'n' }], chart: { type: 'table' } };
const APP: AppDraft = {
  key: 'shop', name: '小店',
  forms: [{ key: 'order', name: '订单', fields: [{ key: 'paid_at', type: 'date', label: '支付日期' }] }],
  reports: [GMV, NEW],
};
const answer = (name: string) => ({
  report: { key: 'x', name }, columns: [{ key: 'n', label: '数量', type: 'integer', role: 'measure' }],
  rows: [{ n: name === 'GMV' ? 7 : 3 }], totals: [],
  chart: { type: 'table', columns: [{ key: 'n', label: '数量', type: 'integer', role: 'measure' }], rows: [{ n: name === 'GMV' ? 7 : 3 }], totals: null },
});

function Harness({ onBoard }: { onBoard: (b: DashboardDef) => void }) {
  const [board, setBoard] = useState<DashboardDef>({ key: 'main', name: '看板', widgets: [{ report: 'gmv', w: 12, h: 6 }] });
  const { Designer } = dashboardDesigner;
  return (
    <I18nProvider initialLang="zh-CN">
      <Designer appKey="shop" app={APP} value={board} problems={[]}
        onChange={(next) => { setBoard(next as DashboardDef); onBoard(next as DashboardDef); }} />
    </I18nProvider>
  );
}

describe('DashboardDesigner', () => {
  it('shows a published report’s data, previews an unpublished one, and adds and removes widgets', async () => {
    const calls = mockFetch({
      'GET /api/apps/shop': { body: { ...APP, reports: [GMV] } },
      'GET /api/apps/shop/reports/gmv/data': { body: answer('GMV') },
      'POST /api/apps/shop/reports/preview': { body: answer('新报表') },
    });
    const onBoard = vi.fn();
    render(<Harness onBoard={onBoard} />);
    const first = await screen.findByTestId('dashboard-widget-0');
    expect(await within(first).findByText('7')).toBeInTheDocument();
    expect(within(first).getByTestId('dashboard-widget-body')).toHaveAttribute('data-source', 'published');

    fireEvent.mouseDown(within(screen.getByTestId('dashboard-add-widget')).getByRole('combobox'));
    fireEvent.click(await screen.findByText('新报表', { selector: '.ant-select-item-option-content' }));
    expect(onBoard).toHaveBeenLastCalledWith(expect.objectContaining({
      widgets: [{ report: 'gmv', w: 12, h: 6 }, { report: 'fresh', x: 12, y: 0, w: 12, h: 6 }],
    }));
    const second = await screen.findByTestId('dashboard-widget-1');
    expect(await within(second).findByText('3')).toBeInTheDocument();
    expect(within(second).getByTestId('dashboard-widget-body')).toHaveAttribute('data-source', 'preview');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual(NEW);

    fireEvent.click(screen.getByTestId('dashboard-widget-remove-0'));
    expect(onBoard).toHaveBeenLastCalledWith(expect.objectContaining({ widgets: [{ report: 'fresh', x: 12, y: 0, w: 12, h: 6 }] }));
  });
});
