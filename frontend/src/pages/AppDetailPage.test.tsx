import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_STORAGE_KEY } from '../api';
import { errorBody, mockFetch, renderApp, USER } from '../test/utils';

const CRM = {
  key: 'crm',
  name: '客户管理',
  version: 3,
  description: 'Members and leads',
  forms: [
    {
      key: 'customer',
      name: '客户',
      fields: [
        { key: 'name', label: '姓名', type: 'text' },
        { key: 'phone', label: '手机号', type: 'phone' },
      ],
    },
    { key: 'followup', name: '跟进', fields: [] },
  ],
};

describe('AppDetailPage', () => {
  beforeEach(() => window.localStorage.setItem(TOKEN_STORAGE_KEY, 'tok'));

  it("lists the app's forms with their field counts", async () => {
    const calls = mockFetch({ 'GET /api/me': { body: USER }, 'GET /api/apps/crm': { body: CRM } });
    renderApp('/apps/crm');

    const table = await screen.findByTestId('forms-table');
    expect(screen.getByTestId('page-title')).toHaveTextContent('客户管理');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('客户');
    expect(rows[0]).toHaveTextContent('customer');
    expect(rows[0]).toHaveTextContent('2');
    expect(rows[1]).toHaveTextContent('followup');
    expect(calls.map((c) => c.path)).toContain('/api/apps/crm');
  });

  it('expands a form to show its fields, with antd texts in the UI language', async () => {
    const user = userEvent.setup();
    mockFetch({ 'GET /api/me': { body: USER }, 'GET /api/apps/crm': { body: CRM } });
    renderApp('/apps/crm');
    await screen.findByTestId('forms-table');

    // antd's own strings follow the ConfigProvider locale.
    const expand = screen.getByRole('button', { name: '展开行' });
    await user.click(screen.getByTestId('lang-switch'));
    expect(expand).toHaveAccessibleName('Expand row');

    await user.click(expand);
    expect(await screen.findByText('手机号')).toBeInTheDocument();
    expect(screen.getByText('phone', { selector: '.ant-tag' })).toBeInTheDocument();
  });

  it('shows a not-found result for an unknown app', async () => {
    mockFetch({
      'GET /api/me': { body: USER },
      'GET /api/apps/nope': { status: 404, body: errorBody('not_found', 'App nope not found') },
    });
    renderApp('/apps/nope');

    const result = await screen.findByTestId('app-not-found');
    expect(result).toHaveTextContent('应用不存在或尚未发布');
    expect(result).toHaveTextContent('App nope not found');
  });
});
