import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AppSummary } from '../api';
import { TOKEN_STORAGE_KEY } from '../api';
import { errorBody, mockFetch, renderApp, USER } from '../test/utils';

const APPS: AppSummary[] = [
  {
    key: 'crm',
    name: '客户管理',
    description: '会员、线索与跟进记录',
    version: 3,
    published_at: '2025-01-02T03:04:05Z',
    forms: [
      { key: 'customer', name: '客户' },
      { key: 'followup', name: '跟进' },
    ],
  },
  { key: 'orders', name: 'Orders', description: null, version: '1.2.0', published_at: null, forms: [] },
];

describe('AppsPage', () => {
  beforeEach(() => {
    window.localStorage.setItem(TOKEN_STORAGE_KEY, 'tok');
  });

  it('lists the installed apps with name, key, version, form count and description', async () => {
    mockFetch({ 'GET /api/me': { body: USER }, 'GET /api/apps': { body: APPS } });
    renderApp('/');

    const list = await screen.findByTestId('apps-list');
    const crm = within(list).getByTestId('app-card-crm');
    expect(within(crm).getByTestId('app-name')).toHaveTextContent('客户管理');
    expect(within(crm).getByTestId('app-key')).toHaveTextContent('crm');
    expect(within(crm).getByTestId('app-version')).toHaveTextContent('v3');
    expect(within(crm).getByTestId('app-forms-count')).toHaveTextContent('2 个表单');
    expect(within(crm).getByTestId('app-description')).toHaveTextContent('会员、线索与跟进记录');

    const orders = within(list).getByTestId('app-card-orders');
    expect(within(orders).getByTestId('app-forms-count')).toHaveTextContent('0 个表单');
    expect(within(orders).getByTestId('app-description')).toHaveTextContent('暂无描述');
    expect(within(orders).getByText('未发布')).toBeInTheDocument();

    expect(crm.closest('a')).toHaveAttribute('href', '/apps/crm');
    expect(screen.queryByTestId('apps-empty')).not.toBeInTheDocument();
    expect(screen.getByText(/共 2 个应用/)).toBeInTheDocument();
  });

  it('shows the current user and an empty state when no app is installed', async () => {
    mockFetch({ 'GET /api/me': { body: USER }, 'GET /api/apps': { body: [] } });
    renderApp('/');

    expect(await screen.findByTestId('apps-empty')).toHaveTextContent('还没有安装任何应用');
    expect(screen.queryByTestId('apps-list')).not.toBeInTheDocument();
    expect(await screen.findByTestId('current-user-name')).toHaveTextContent('Administrator');
    expect(screen.getByText('管理员')).toBeInTheDocument();
  });

  it('shows the server error message when the list fails, and retries', async () => {
    let fail = true;
    mockFetch({
      'GET /api/me': { body: USER },
      'GET /api/apps': () =>
        fail ? { status: 500, body: errorBody('internal', 'Database unavailable') } : { body: APPS },
    });
    renderApp('/');

    expect(await screen.findByTestId('api-error')).toHaveTextContent('Database unavailable');
    fail = false;
    await userEvent.setup().click(screen.getByRole('button', { name: /重\s*试/ }));
    expect(await screen.findByTestId('apps-list')).toBeInTheDocument();
  });

  it('sends the user to the login page when the session has expired (401)', async () => {
    mockFetch({
      'GET /api/me': { status: 401, body: errorBody('unauthorized', 'expired') },
      'GET /api/apps': { status: 401, body: errorBody('unauthorized', 'expired') },
    });
    renderApp('/');

    expect(await screen.findByTestId('login-form')).toBeInTheDocument();
    expect(screen.getByTestId('session-expired')).toBeInTheDocument();
    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
  });

  it('logs out: clears the token and returns to the login page', async () => {
    mockFetch({ 'GET /api/me': { body: USER }, 'GET /api/apps': { body: APPS } });
    renderApp('/');
    await screen.findByTestId('apps-list');

    await userEvent.setup().click(screen.getByTestId('logout'));

    expect(await screen.findByTestId('login-form')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/login'));
    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
    expect(screen.queryByTestId('session-expired')).not.toBeInTheDocument();
  });
});
