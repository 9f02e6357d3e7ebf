import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { TOKEN_STORAGE_KEY } from '../api';
import { errorBody, mockFetch, renderApp, USER } from '../test/utils';

async function fillAndSubmit(username: string, password: string) {
  const user = userEvent.setup();
  await user.clear(screen.getByTestId('login-username'));
  await user.type(screen.getByTestId('login-username'), username);
  await user.clear(screen.getByTestId('login-password'));
  await user.type(screen.getByTestId('login-password'), password);
  await user.click(screen.getByTestId('login-submit'));
}

describe('LoginPage', () => {
  it('redirects an unauthenticated visitor to /login', async () => {
    const calls = mockFetch({});
    renderApp('/');
    expect(await screen.findByTestId('login-form')).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/login');
    expect(calls).toEqual([]);
  });

  it('shows the server error message (and details) on 401 and keeps the user on the login page', async () => {
    const calls = mockFetch({
      'POST /api/auth/login': {
        status: 401,
        body: errorBody('invalid_credentials', '用户名或密码错误', [{ path: 'password', message: 'mismatch' }]),
      },
    });
    renderApp('/login');

    await fillAndSubmit('admin', 'wrong');

    const alert = await screen.findByTestId('login-error');
    expect(alert).toHaveTextContent('用户名或密码错误');
    expect(alert).toHaveTextContent('password: mismatch');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/api/auth/login',
      body: { username: 'admin', password: 'wrong' },
    });
    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
    expect(screen.getByTestId('location')).toHaveTextContent('/login');
  });

  it('validates required fields without calling the server', async () => {
    const calls = mockFetch({});
    renderApp('/login');
    await userEvent.setup().click(screen.getByTestId('login-submit'));
    expect(await screen.findByText('请输入用户名')).toBeInTheDocument();
    expect(screen.getByText('请输入密码')).toBeInTheDocument();
    expect(calls).toEqual([]);
  });

  it('stores the token and opens the apps page after a successful login', async () => {
    const calls = mockFetch({
      'POST /api/auth/login': { body: { access_token: 'tok-ok', token_type: 'bearer', expires_in: 3600 } },
      'GET /api/me': { body: USER },
      'GET /api/apps': { body: [] },
    });
    renderApp('/login');

    await fillAndSubmit('admin', 'right');

    expect(await screen.findByTestId('apps-page')).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent(/^\/$/);
    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBe('tok-ok');
    expect(await screen.findByTestId('current-user-name')).toHaveTextContent('Administrator');
    const me = calls.find((c) => c.path === '/api/me');
    expect(me?.headers.authorization).toBe('Bearer tok-ok');
  });

  it('returns to the page the user first asked for', async () => {
    mockFetch({
      'POST /api/auth/login': { body: { access_token: 't', token_type: 'bearer', expires_in: 60 } },
      'GET /api/me': { body: USER },
      'GET /api/apps/crm': { body: { key: 'crm', name: 'CRM', version: 1, forms: [] } },
    });
    renderApp('/apps/crm');
    await screen.findByTestId('login-form');

    await fillAndSubmit('admin', 'right');

    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/apps/crm'));
    expect(await screen.findByTestId('app-detail')).toBeInTheDocument();
  });

  it('shows a network error in the UI language when the server is unreachable', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));
    renderApp('/login');
    await fillAndSubmit('admin', 'x');
    expect(await screen.findByTestId('login-error')).toHaveTextContent('无法连接服务器');
  });
});
