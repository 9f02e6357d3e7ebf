import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_STORAGE_KEY } from '../api';
import { errorBody, mockFetch, renderApp, USER, type MockHandler } from '../test/utils';


const SHOP = {
  format: 'nocode.app/v1',
  key: 'shop',
  name: '小店',
  forms: [{ key: 'customer', name: '客户', fields: [{ key: 'name', type: 'text', label: '姓名' }] }],
  menus: [{ label: '客户', form: 'customer' }],
};

function routes(extra: Record<string, MockHandler> = {}): Record<string, MockHandler> {
  return {
    'GET /api/me': { body: USER },
    'GET /api/tasks': { body: { items: [], counts: { todo: 0, done: 0, cc: 0 }, total: 0 } },
    'GET /api/notifications': { body: { items: [], total: 0, unread: 0 } },
    'GET /api/apps/shop/draft': { status: 404, body: errorBody('no_draft', 'no draft') },
    'GET /api/apps/shop': { body: SHOP },
    'GET /api/apps/shop/versions': { body: [{ version: 3, note: 'publish', published_at: '2026-11-20T10:00:00Z', published_by: 1 }] },
    'POST /api/apps/shop/draft/check': { body: { problems: [] } },
    ...extra,
  };
}

describe('the builder workspace', () => {
  beforeEach(() => window.localStorage.setItem(TOKEN_STORAGE_KEY, 'token'));

  it('adds a form, saves the draft and publishes it after listing the change', async () => {
    let published = false;
    const calls = mockFetch(
      routes({
        'PUT /api/apps/shop/draft': { body: { key: 'shop', saved: true } },
        'POST /api/apps/shop/publish': () => {
          published = true;
          return { body: { key: 'shop', version: 4 } };
        },
      }),
    );
    const user = userEvent.setup();
    renderApp('/build/shop');
    expect(await screen.findByTestId('builder-status')).toHaveTextContent('已发布 v3');

    await user.click(screen.getByTestId('builder-add-forms'));
    await user.type(await screen.findByTestId('builder-new-name'), 'Orders');
    expect(screen.getByTestId('builder-new-key')).toHaveValue('orders');
    await user.click(screen.getByTestId('builder-new-ok'));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/build/shop/forms/orders'));
    expect(screen.getByTestId('builder-status')).toHaveTextContent('有未保存的更改');
    expect(screen.getByTestId('builder-item-forms-orders')).toBeInTheDocument();

    await user.click(screen.getByTestId('builder-save'));
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true));
    const saved = calls.find((c) => c.method === 'PUT')!.body as typeof SHOP;
    expect(saved.forms.map((f) => f.key)).toEqual(['customer', 'orders']);
    // the new form also gets a menu entry, since the app lists its menus
    expect(saved.menus).toEqual([{ label: '客户', form: 'customer' }, { label: 'Orders', form: 'orders' }]);
    expect(await screen.findByTestId('builder-status')).toHaveTextContent('草稿未发布');

    await user.click(screen.getByTestId('builder-publish'));
    const changes = await screen.findByTestId('builder-publish-changes');
    expect(within(changes).getByText('Orders')).toBeInTheDocument();
    expect(within(changes).getByText('新增')).toBeInTheDocument();
    await user.click(screen.getByTestId('builder-publish-confirm'));
    await waitFor(() => expect(published).toBe(true));
  });

  it('pins the server problems on their item and blocks publishing', async () => {
    mockFetch(
      routes({
        'GET /api/apps/shop/draft': { body: { ...SHOP, forms: [{ ...SHOP.forms[0], fields: [{ key: 'name', type: 'text', colour: 'red' }] }] } },
        'POST /api/apps/shop/draft/check': { body: { problems: [{ path: '/forms/0/fields/0/colour', message: '未知属性 colour' }] } },
      }),
    );
    const user = userEvent.setup();
    renderApp('/build/shop/forms/customer');
    await waitFor(() => expect(screen.getByTestId('builder-problem-count')).toHaveTextContent('1 个问题'));
    expect(within(screen.getByTestId('builder-item-forms-customer')).getByText('1')).toBeInTheDocument();
    await user.click(screen.getByTestId('builder-problem-count'));
    const list = await screen.findByTestId('builder-problems');
    expect(list).toHaveTextContent('表单「客户」');
    expect(list).toHaveTextContent('/fields/0/colour');
    await user.click(screen.getByTestId('builder-publish'));
    expect(await screen.findByText('有 1 个问题，处理后才能发布')).toBeInTheDocument();
    expect(screen.getByTestId('builder-publish-confirm')).toBeDisabled();
  });

  it('keeps unsaved work in the browser and offers it back', async () => {
    window.localStorage.setItem('nocode.builder.shop', JSON.stringify({ ...SHOP, name: '小店（改）' }));
    mockFetch(routes());
    const user = userEvent.setup();
    renderApp('/build/shop');
    const recovered = await screen.findByTestId('builder-recovered');
    await user.click(within(recovered).getByRole('button', { name: /恢\s*复/ }));
    expect(screen.getByTestId('builder-app-name')).toHaveValue('小店（改）');
    expect(screen.getByTestId('builder-status')).toHaveTextContent('有未保存的更改');
  });
});
