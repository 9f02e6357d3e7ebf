import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { TOKEN_STORAGE_KEY, type ImportPreview, type RelatedGroup } from '../api';
import { mockFetch, renderApp, type MockHandler } from '../test/utils';
import { withServerAccess, type FormAccess } from './access';
import { mappingProblems } from './ImportWizard';
import { mentionedIds } from './RecordComments';
import { relatedFilter, relatedLabel } from './RelatedRecords';


// customers, their orders and follow-ups; a clerk who may import customers
const SHOP = {
  key: 'shop', name: '小店', version: 1,
  forms: [
    { key: 'customer', name: '客户', title_field: 'name', fields: [
      { key: 'name', type: 'text', label: '姓名', required: true },
      { key: 'phone', type: 'phone', label: '手机' },
      { key: 'level', type: 'select', label: '等级', options: ['普通', 'VIP'] }] },
    { key: 'order', name: '订单', title_field: 'no', fields: [
      { key: 'no', type: 'text', label: '单号' },
      { key: 'customer', type: 'relation', label: '客户', target: 'customer' },
      { key: 'amount', type: 'money', label: '金额' }] },
  ],
  roles: [{ key: 'clerk', name: '店员', permissions: [
    { form: 'customer', ops: ['read', 'create', 'import'] }, { form: 'order', ops: ['read'] }] }],
  menus: [],
  flows: [],
};
const ADMIN = { id: 1, username: 'admin', name: '管理员', is_admin: true, departments: [], roles: [] };
const CLERK = { id: 5, username: 'clerk', name: '小王', is_admin: false, departments: [],
  roles: [{ app: 'shop', roles: ['clerk'] }] };
const CUSTOMERS = { items: [{ id: 1, version: 2, name: '张三', phone: '13800000001', level: 'VIP' }], total: 1,
  page: 1, page_size: 20 };
const BASE = '/api/apps/shop/forms/customer/records';

function routes(extra: Record<string, MockHandler> = {}, me: unknown = ADMIN): Record<string, MockHandler> {
  return {
    'GET /api/me': { body: me },
    'GET /api/apps/shop': { body: SHOP },
    'GET /api/tasks': { body: { box: 'todo', items: [], counts: { todo: 0, done: 0, cc: 0 }, page: 1, page_size: 50 } },
    'GET /api/notifications': { body: { unread: 0, total: 0, page: 1, page_size: 20, items: [] } },
    'GET /api/apps/shop/forms/customer/views': { body: { items: [] } },
    [`GET ${BASE}`]: { body: CUSTOMERS },
    ...extra,
  };
}

const PREVIEW: ImportPreview = {
  headers: ['客户名', '手机', '备注'],
  rows: [['李四', 13800000002, '老客'], ['王五', 12345, null]],
  mapping: { 手机: 'phone' },
  fields: [{ key: 'name', label: '姓名', type: 'text', required: true },
    { key: 'phone', label: '手机', type: 'phone', required: false },
    { key: 'level', label: '等级', type: 'select', required: false }],
};

const t = (key: string, vars?: Record<string, string>) => `${key}${vars ? JSON.stringify(vars) : ''}`;

describe('runtime: import wizard', () => {
  beforeEach(() => window.localStorage.setItem(TOKEN_STORAGE_KEY, 'tok'));

  it('checks a mapping before it is sent: something mapped, no field twice, required fields present', () => {
    expect(mappingProblems(PREVIEW, { 客户名: '', 手机: '', 备注: '' }, t)).toEqual(['rt.import.noMapping']);
    expect(mappingProblems(PREVIEW, { 客户名: 'phone', 手机: 'phone', 备注: '' }, t)).toEqual([
      'rt.import.duplicate{"field":"手机"}', 'rt.import.missingRequired{"fields":"姓名"}']);
    expect(mappingProblems(PREVIEW, { 客户名: 'name', 手机: 'phone', 备注: '' }, t)).toEqual([]);
  });

  it('uploads, maps, shows the dry run per row and imports the good rows', async () => {
    const user = userEvent.setup();
    const sent: FormData[] = [];
    const calls = mockFetch(routes({
      [`POST ${BASE}/import/preview`]: { body: PREVIEW },
      [`POST ${BASE}/import`]: (init) => {
        const form = init?.body as FormData;
        sent.push(form);
        const errors = [{ row: 3, column: '手机', field: 'phone', message: '不是有效的手机号' }];
        return form.get('dry_run') === 'true'
          ? { body: { dry_run: true, imported: 0, valid: 1, failed: 1, errors, columns: {}, ignored_columns: ['备注'] } }
          : { body: { imported: 1, failed: 1, errors, columns: {}, ignored_columns: ['备注'] } };
      },
      'GET /api/apps/shop/forms/customer/access': { body: { ops: ['read', 'create', 'import'], hidden: [],
        readonly: [] } },
    }, CLERK));
    renderApp('/apps/shop/forms/customer');
    await user.click(await screen.findByTestId('import'));
    const wizard = await screen.findByTestId('import-wizard');
    const input = wizard.querySelector('input[type="file"]') as HTMLInputElement;
    await user.upload(input, new File(['x'], 'customers.xlsx'));

    // the name column is not matched: nothing may be checked until a required field has its column
    const mapping = await screen.findByTestId('import-mapping');
    expect(within(mapping).getByTestId('map-手机')).toHaveTextContent('手机');
    expect(within(mapping).getByTestId('map-客户名')).toHaveTextContent('不导入');
    expect(screen.getByTestId('import-preview')).toHaveTextContent('王五');
    expect(screen.getByTestId('import-mapping-problems')).toHaveTextContent('必填字段未对应：姓名');
    expect(screen.getByTestId('import-check')).toBeDisabled();
    await user.click(within(within(mapping).getByTestId('map-客户名')).getByRole('combobox'));
    await user.click(await screen.findByTitle('姓名 *'));
    await waitFor(() => expect(screen.queryByTestId('import-mapping-problems')).not.toBeInTheDocument());

    await user.click(screen.getByTestId('import-check'));
    const check = await screen.findByTestId('import-check-result');
    expect(check).toHaveTextContent('1 行可导入，1 行有问题');
    expect(within(screen.getByTestId('import-errors')).getByText('不是有效的手机号')).toBeInTheDocument();
    expect(sent[0].get('dry_run')).toBe('true');
    expect(JSON.parse(String(sent[0].get('mapping')))).toEqual({ 客户名: 'name', 手机: 'phone', 备注: '' });
    // all-or-nothing with a bad row would write nothing: the import waits for "skip the bad rows"
    expect(screen.getByTestId('import-run')).toBeDisabled();
    await user.click(screen.getByText('跳过有问题的行'));
    await user.click(screen.getByTestId('import-run'));
    expect(await screen.findByTestId('import-result')).toHaveTextContent('已导入 1 条记录');
    expect(sent[1].get('mode')).toBe('good_rows');
    expect(sent[1].get('dry_run')).toBe('false');
    // the list reloads after the import
    await waitFor(() => expect(calls.filter((c) => c.method === 'GET' && c.path === BASE).length).toBeGreaterThan(1));
  });

  it('offers no import to people without the right', async () => {
    mockFetch(routes({}, { ...CLERK, roles: [] }));
    renderApp('/apps/shop/forms/customer');
    await screen.findByTestId('record-list');
    expect(screen.queryByTestId('import')).not.toBeInTheDocument();
  });
});

const RELATED: RelatedGroup[] = [
  { form: 'order', name: '订单', field: 'customer', label: '客户', count: 7,
    latest: [{ id: 31, version: 1, no: 'DD-31', amount: 99 }] },
  { form: 'order', name: '订单', field: 'gifts.customer', label: '赠品 · 客户', count: 0, latest: [] },
];

describe('runtime: record detail', () => {
  beforeEach(() => window.localStorage.setItem(TOKEN_STORAGE_KEY, 'tok'));

  it('names the tabs and the full-list filter of related records', () => {
    expect(relatedLabel(RELATED[0], RELATED)).toBe('订单 · 客户');
    expect(relatedLabel(RELATED[0], RELATED.slice(0, 1))).toBe('订单');
    expect(relatedFilter(RELATED[0], 4)).toBe('customer = 4');
    expect(relatedFilter(RELATED[1], 4)).toBeNull();
  });

  it("shows a customer's related orders with links", async () => {
    const user = userEvent.setup();
    mockFetch(routes({
      [`GET ${BASE}/1`]: { body: CUSTOMERS.items[0] },
      [`GET ${BASE}/1/related`]: { body: { items: RELATED } },
    }));
    renderApp('/apps/shop/forms/customer?record=1');
    await screen.findByTestId('record-view');
    await user.click(await screen.findByRole('tab', { name: /订单 · 客户/ }));
    const list = await screen.findByTestId('related-order-customer');
    const link = within(list).getByRole('link', { name: 'DD-31' });
    expect(link).toHaveAttribute('href', '/apps/shop/forms/order?record=31');
    expect(list).toHaveTextContent('金额：¥99.00');
    expect(within(list).getByRole('link', { name: '查看全部 7 条' }))
      .toHaveAttribute('href', `/apps/shop/forms/order?filter=${encodeURIComponent('customer = 1')}`);
  });

  it('lists comments, sends one with a mention and deletes one', async () => {
    const user = userEvent.setup();
    let comments = [{ id: 4, text: '请跟进 @小王', created_at: '2026-11-20T01:00:00Z', user: { id: 1, name: '管理员' },
      mentions: [{ id: 5, name: '小王' }], can_delete: true }];
    const calls = mockFetch(routes({
      [`GET ${BASE}/1`]: { body: CUSTOMERS.items[0] },
      [`GET ${BASE}/1/related`]: { body: { items: [] } },
      [`GET ${BASE}/1/comments`]: () => ({ body: { items: comments, total: comments.length } }),
      [`POST ${BASE}/1/comments`]: { status: 201, body: {} },
      [`DELETE ${BASE}/1/comments/4`]: () => {
        comments = [];
        return { status: 204 };
      },
      'GET /api/people': { body: { items: [{ id: 5, name: '小王', username: 'clerk', departments: ['门店'] }],
        total: 1, page: 1, page_size: 20 } },
    }));
    // jsdom has no scrollIntoView, which the mention menu calls on its active item
    Element.prototype.scrollIntoView ??= vi.fn();
    renderApp('/apps/shop/forms/customer?record=1');
    await screen.findByTestId('record-view');
    await user.click(screen.getByRole('tab', { name: '评论' }));
    const box = await screen.findByTestId('record-comments');
    await waitFor(() => expect(within(box).getByTestId('comment')).toHaveTextContent('请跟进 @小王'));
    expect(within(box).getByText('@小王').closest('.rt-mention')).not.toBeNull();

    const input = within(box).getByRole('textbox');
    await user.type(input, '看一下 @小');
    await user.click(await screen.findByText('小王（门店）'));
    await user.click(within(box).getByTestId('comment-send'));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
      text: '看一下 @小王 ', mentions: [5] }));

    await user.click(within(box).getByTestId('comment-delete-4'));
    await user.click(await screen.findByRole('button', { name: /OK|确\s*定/ }));
    await waitFor(() => expect(within(box).queryByTestId('comment')).not.toBeInTheDocument());
  });

  it('sends mentions only for the people still named in the text', () => {
    const picked = new Map([[5, '小王'], [6, '老李']]);
    expect(mentionedIds('@小王 你好', picked)).toEqual([5]);
    expect(mentionedIds('没有提及', picked)).toEqual([]);
  });

  it("hides and locks the fields the server says, beyond the app's roles", async () => {
    mockFetch(routes({
      'GET /api/apps/shop/forms/customer/access': { body: { ops: ['read', 'create'], hidden: ['level'],
        readonly: ['phone'] } },
    }, CLERK));
    renderApp('/apps/shop/forms/customer?new=1');
    const form = await screen.findByTestId('record-form');
    await waitFor(() => expect(within(form).queryByText('等级')).not.toBeInTheDocument());
    expect(within(form).getByTestId('readonly-phone')).toBeInTheDocument();
  });

  it('lets the server decide the operations when it answered', () => {
    const local: FormAccess = { can: () => true, hidden: new Set(['a']), readonly: new Set() };
    const merged = withServerAccess(local, { ops: ['read'], hidden: ['b'], readonly: ['c'] });
    expect(merged.can('read')).toBe(true);
    expect(merged.can('delete')).toBe(false);
    expect([...merged.hidden]).toEqual(['a', 'b']);
    expect([...merged.readonly]).toEqual(['c']);
    expect(withServerAccess(local, null)).toBe(local);
  });
});
