import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TOKEN_STORAGE_KEY, type AppDefinition } from '../api';
import { errorBody, mockFetch, renderApp, type MockHandler } from '../test/utils';
import { formAccess } from './access';
import { menuItems } from './RuntimeLayout';
import { errorPath } from './RecordForm';
import { shownAs, valueText, type FieldDef } from './fields';

// jsdom has no canvas: stand in for ECharts and keep its click handler
const fake = vi.hoisted(() => ({ click: undefined as undefined | ((params: unknown) => void) }));
vi.mock('echarts/core', () => ({
  use: vi.fn(),
  init: vi.fn(() => ({
    setOption: vi.fn(), dispose: vi.fn(), resize: vi.fn(),
    on: (event: string, handler: (params: unknown) => void) => {
      if (event === 'click') fake.click = handler;
    },
  })),
}));

// a small app: customers and orders with a linkage rule, roles, menus and a dashboard
export const SHOP = {
  key: 'shop',
  name: '小店',
  version: 2,
  forms: [
    {
      key: 'customer', name: '客户', title_field: 'name',
      fields: [
        { key: 'name', type: 'text', label: '姓名', required: true },
        { key: 'level', type: 'select', label: '等级', options: [{ value: 'gold', label: '金牌' }, 'silver'] },
        { key: 'tags', type: 'tags', label: '标签' },
        { key: 'spent', type: 'money', label: '消费' },
        { key: 'credit', type: 'number', label: '信用' },
      ],
    },
    {
      key: 'order', name: '订单', title_field: 'no',
      fields: [
        { key: 'no', type: 'autonumber', label: '订单号' },
        { key: 'customer', type: 'relation', label: '客户', target: 'customer' },
        { key: 'status', type: 'select', label: '状态', default: 'paid',
          options: [{ value: 'paid', label: '已支付' }, { value: 'refunded', label: '已退款' }] },
        { key: 'refund_reason', type: 'text', label: '退款原因' },
        { key: 'amount', type: 'money', label: '金额' },
        { key: 'lines', type: 'subtable', label: '明细', fields: [
          { key: 'qty', type: 'number', label: '数量' }, { key: 'price', type: 'money', label: '单价' }] },
      ],
      linkage: [{ when: "status = 'refunded'", show: ['refund_reason'], require: ['refund_reason'] }],
    },
  ],
  roles: [
    { key: 'clerk', name: '店员', permissions: [
      { form: 'customer', ops: ['read', 'create'], fields: { credit: 'readonly', spent: 'hidden' } }] },
  ],
  menus: [{ label: '顾客', form: 'customer' }, { label: '交易', children: [{ label: '订单', form: 'order' }] },
    { label: '看板', dashboard: 'main' }],
  dashboards: [{ key: 'main', name: '经营看板', widgets: [{ report: 'by_level', w: 12, h: 4 }] }],
  reports: [{ key: 'by_level', name: '按等级', source: 'customer' }],
  flows: [],
};

export const CUSTOMERS = {
  items: [
    { id: 1, version: 3, name: '张三', level: 'gold', tags: ['老客', '宝妈'], spent: 1234.5, credit: 7 },
    { id: 2, version: 1, name: '李四', level: 'silver', tags: null, spent: 0, credit: null },
  ],
  total: 2, page: 1, page_size: 20,
};

export const ADMIN_ME = { id: 1, username: 'admin', name: 'Administrator', is_admin: true, departments: [], roles: [] };
export const CLERK_ME = {
  id: 5, username: 'clerk', name: '小王', is_admin: false, departments: [], roles: [{ app: 'shop', roles: ['clerk'] }],
};
export const NO_TASKS = { box: 'todo', items: [], counts: { todo: 0, done: 0, cc: 0 }, page: 1, page_size: 50 };
export const NO_NOTIFICATIONS = { unread: 0, total: 0, page: 1, page_size: 20, items: [] };

/** A screen `width` px wide for antd's breakpoints (jsdom matches no media query by itself). */
function screenWidth(width: number) {
  const original = window.matchMedia;
  window.matchMedia = ((q: string) => {
    const min = /min-width:\s*(\d+)/.exec(q);
    const max = /max-width:\s*(\d+)/.exec(q);
    const matches = (!min || width >= Number(min[1])) && (!max || width <= Number(max[1]));
    return { ...original(q), matches, media: q };
  }) as typeof window.matchMedia;
  return () => {
    window.matchMedia = original;
  };
}

function routes(extra: Record<string, MockHandler> = {}, me: unknown = ADMIN_ME): Record<string, MockHandler> {
  return {
    'GET /api/me': { body: me },
    'GET /api/apps/shop': { body: SHOP },
    'GET /api/tasks': { body: NO_TASKS },
    'GET /api/notifications': { body: NO_NOTIFICATIONS },
    'GET /api/apps/shop/forms/customer/records': { body: CUSTOMERS },
    ...extra,
  };
}

function query(calls: { path: string }[], path: string) {
  return calls.filter((c) => c.path === path);
}

describe('runtime: navigation and access', () => {
  it('builds the side menu from the app menus, groups included', () => {
    const items = menuItems(SHOP as unknown as AppDefinition, '/apps/shop');
    expect(items.map((i) => i?.key)).toEqual(['/apps/shop/forms/customer', 'group-1', '/apps/shop/dashboards/main']);
    const group = items[1] as { children: { key: string }[] };
    expect(group.children.map((c) => c.key)).toEqual(['/apps/shop/forms/order']);
  });

  it('leaves out of the menu the forms a role may not read, and groups left empty', () => {
    const app = SHOP as unknown as AppDefinition;
    expect(menuItems(app, '/apps/shop', CLERK_ME).map((i) => i?.key))
      .toEqual(['/apps/shop/forms/customer', '/apps/shop/dashboards/main']);
    expect(menuItems(app, '/apps/shop', ADMIN_ME)).toHaveLength(3);
  });

  it('falls back to the forms and dashboards when the app has no menus', () => {
    const items = menuItems({ ...SHOP, menus: [] } as unknown as AppDefinition, '/a');
    expect(items.map((i) => i?.key)).toEqual(['/a/forms/customer', '/a/forms/order', '/a/dashboards/main']);
  });

  it("works out a person's operations and read-only and hidden fields from their roles", () => {
    const app = SHOP as unknown as AppDefinition;
    const clerk = formAccess(app, CLERK_ME, 'customer');
    expect(clerk.can('create')).toBe(true);
    expect(clerk.can('delete')).toBe(false);
    expect([...clerk.readonly]).toEqual(['credit']);
    expect([...clerk.hidden]).toEqual(['spent']);
    expect(formAccess(app, CLERK_ME, 'order').can('read')).toBe(false);
    expect(formAccess(app, ADMIN_ME, 'order').can('delete')).toBe(true);
  });

  it('shows a lookup like the field it reads (option labels)', () => {
    const app = SHOP as unknown as AppDefinition;
    const order = { ...app.forms[1], fields: [...(app.forms[1].fields ?? []),
      { key: 'customer_level', type: 'lookup', label: '客户等级', relation: 'customer', field: 'level' }] };
    const field = shownAs(order.fields.at(-1) as FieldDef, order, app.forms);
    expect(field).toMatchObject({ key: 'customer_level', label: '客户等级', type: 'select' });
    expect(valueText(field, 'gold', 'zh-CN')).toBe('金牌');
  });

  it('maps JSON pointers of server errors to form field paths', () => {
    expect(errorPath('/amount')).toEqual(['amount']);
    expect(errorPath('/lines/0/qty')).toEqual(['lines', 0, 'qty']);
  });
});

describe('runtime: record list', () => {
  let restore: () => void;
  beforeEach(() => {
    window.localStorage.setItem(TOKEN_STORAGE_KEY, 'tok');
    restore = screenWidth(1280);
  });
  afterEach(() => restore());

  it('turns into cards on a phone', async () => {
    restore();
    restore = screenWidth(390);
    mockFetch(routes());
    renderApp('/apps/shop/forms/customer');

    const cards = await screen.findAllByTestId('record-card');
    expect(cards).toHaveLength(2);
    expect(cards[0]).toHaveTextContent('张三');
    expect(cards[0]).toHaveTextContent('金牌');
    expect(screen.queryByTestId('records-table')).not.toBeInTheDocument();
  });

  it('shows records with option labels, tags and money, and searches on the server', async () => {
    const user = userEvent.setup();
    const calls = mockFetch(routes());
    renderApp('/apps/shop/forms/customer');

    const table = await screen.findByTestId('records-table');
    await waitFor(() => expect(within(table).getAllByRole('row').length).toBeGreaterThan(2));
    const rows = within(table).getAllByRole('row').filter((r) => r.classList.contains('ant-table-row'));
    expect(rows[0]).toHaveTextContent('张三');
    expect(rows[0]).toHaveTextContent('金牌');
    expect(within(rows[0]).getByText('宝妈')).toHaveClass('ant-tag');
    expect(rows[0]).toHaveTextContent('¥1,234.50');
    expect(screen.getByTestId('app-menu')).toHaveTextContent('顾客');

    await user.type(within(screen.getByTestId('record-search')).getByRole('searchbox'), '张{Enter}');
    await waitFor(() => {
      const last = query(calls, '/api/apps/shop/forms/customer/records').at(-1);
      expect(last).toBeDefined();
    });
    const fetchMock = globalThis.fetch as unknown as { mock: { calls: [string][] } };
    expect(fetchMock.mock.calls.map((c) => c[0]).some((u) => u.includes('q=%E5%BC%A0'))).toBe(true);
  });

  it('deletes the selected records after a confirmation', async () => {
    const user = userEvent.setup();
    const calls = mockFetch(routes({
      'DELETE /api/apps/shop/forms/customer/records/1': { status: 204 },
      'DELETE /api/apps/shop/forms/customer/records/2': { status: 204 },
    }));
    renderApp('/apps/shop/forms/customer');
    const table = await screen.findByTestId('records-table');
    await waitFor(() => expect(within(table).getAllByRole('checkbox').length).toBe(3));
    // The table's loading spinner blocks clicks until its fetch settles.
    await waitFor(() => expect(table.querySelector('.ant-spin-spinning')).toBeNull());
    await user.click(within(table).getAllByRole('checkbox')[0]);
    await user.click(await screen.findByTestId('bulk-delete'));
    await user.click(await screen.findByRole('button', { name: /确\s*定|OK/ }));
    await waitFor(() => expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(2));
  });

  it('hides create and delete from a person whose role does not allow them', async () => {
    mockFetch(routes({}, CLERK_ME));
    renderApp('/apps/shop/forms/customer');
    const table = await screen.findByTestId('records-table');
    await waitFor(() => expect(within(table).getAllByRole('row').length).toBeGreaterThan(2));
    expect(screen.getByTestId('record-new')).toBeInTheDocument();
    expect(screen.queryByTestId('export')).not.toBeInTheDocument();
    expect(within(table).queryAllByRole('checkbox')).toHaveLength(0);
  });
});

describe('runtime: record form', () => {
  beforeEach(() => window.localStorage.setItem(TOKEN_STORAGE_KEY, 'tok'));

  it('shows a field when its linkage rule holds and puts the server errors on the fields', async () => {
    const user = userEvent.setup();
    const calls = mockFetch(routes({
      'GET /api/apps/shop/forms/order/records': { body: { items: [], total: 0, page: 1, page_size: 20 } },
      'POST /api/apps/shop/forms/order/records': {
        status: 422,
        body: errorBody('validation_failed', '数据有误', [
          { path: '/refund_reason', message: '退款原因太短' }, { path: '/lines/0/qty', message: '数量至少为 1' }]),
      },
    }));
    renderApp('/apps/shop/forms/order?new=1');
    const form = await screen.findByTestId('record-form');
    expect(within(form).queryByText('退款原因')).not.toBeInTheDocument();
    expect(within(form).queryByText('订单号')).not.toBeInTheDocument(); // computed: nothing to show yet

    await user.click(within(form).getByText('已支付'));
    await user.click(await screen.findByTitle('已退款'));
    expect(await within(form).findByText('退款原因')).toBeInTheDocument();
    await user.type(form.querySelector('#refund_reason') as HTMLElement, 'x');
    await user.click(screen.getByTestId('add-row-lines'));
    await user.click(screen.getByTestId('record-save'));

    expect(await within(form).findByText('退款原因太短')).toBeInTheDocument();
    expect(within(form).getByText('数量至少为 1')).toBeInTheDocument();
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toMatchObject({ status: 'refunded', refund_reason: 'x', lines: [{}] });
  });

  it('lays fields out by the quarters of a row the designer gave them', async () => {
    const widths = { ...SHOP, forms: SHOP.forms.map((f) => (f.key !== 'customer' ? f : {
      ...f, fields: f.fields.map((field) => (field.key === 'name' ? { ...field, width: 4 } : field.key === 'credit'
        ? { ...field, width: 1 } : field)) })) };
    mockFetch(routes({ 'GET /api/apps/shop': { body: widths } }));
    const restore = screenWidth(1280);
    try {
      renderApp('/apps/shop/forms/customer?new=1');
      const form = await screen.findByTestId('record-form');
      const column = (key: string) => form.querySelector(`[data-field="${key}"]`)?.closest('.ant-col');
      await waitFor(() => expect(column('credit')).toHaveClass('ant-col-6'));
      expect(column('name')).toHaveClass('ant-col-24');
      expect(column('level')).toHaveClass('ant-col-12');
    } finally {
      restore();
    }
  });

  it('works out a formula as the record is typed', async () => {
    const user = userEvent.setup();
    const withFormula = { ...SHOP, forms: SHOP.forms.map((f) => (f.key !== 'order' ? f : {
      ...f, fields: [...f.fields, { key: 'total', type: 'formula', label: '合计', result: 'money',
        expr: 'SUM(lines.qty * lines.price)' }] })) };
    const calls = mockFetch(routes({
      'GET /api/apps/shop': { body: withFormula },
      'GET /api/apps/shop/forms/order/records': { body: { items: [], total: 0, page: 1, page_size: 20 } },
      'POST /api/apps/shop/forms/order/records': { status: 201, body: { id: 3, version: 1 } },
    }));
    renderApp('/apps/shop/forms/order?new=1');
    const form = await screen.findByTestId('record-form');
    await user.click(within(form).getByTestId('add-row-lines'));
    await user.type(form.querySelector('#lines_0_qty') as HTMLElement, '3');
    await user.type(form.querySelector('#lines_0_price') as HTMLElement, '12.5');
    await waitFor(() => expect(within(form).getByTestId('readonly-total')).toHaveTextContent('37.50'));
    await user.click(screen.getByTestId('record-save'));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')).toBeDefined());
    expect(calls.find((c) => c.method === 'POST')?.body).not.toHaveProperty('total'); // the server computes it
  });

  it('greys the sub-table fields the server says are read-only and leaves them out of the write', async () => {
    const user = userEvent.setup();
    const me = { ...CLERK_ME, roles: [{ app: 'shop', roles: ['clerk'] }] };
    const calls = mockFetch(routes({
      'GET /api/apps/shop/forms/order/access': { body: { ops: ['read', 'create', 'update'], hidden: [], readonly: ['lines.price'] } },
      'GET /api/apps/shop/forms/order/records': { body: { items: [], total: 0, page: 1, page_size: 20 } },
      'POST /api/apps/shop/forms/order/records': { status: 201, body: { id: 3, version: 1 } },
    }, me));
    renderApp('/apps/shop/forms/order?new=1');
    const form = await screen.findByTestId('record-form');
    await user.click(await within(form).findByTestId('add-row-lines'));
    expect(await within(form).findByTestId('readonly-lines.price')).toBeInTheDocument();
    await user.type(form.querySelector('#lines_0_qty') as HTMLElement, '2');
    await user.click(screen.getByTestId('record-save'));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body).toMatchObject({ lines: [{ qty: 2 }] }));
    expect((calls.find((c) => c.method === 'POST')?.body as { lines: object[] }).lines[0]).not.toHaveProperty('price');
  });

  it('offers a reload when the record was changed by someone else (409)', async () => {
    const user = userEvent.setup();
    let version = 3;
    const calls = mockFetch(routes({
      'GET /api/apps/shop/forms/customer/records/1': () => ({ body: { ...CUSTOMERS.items[0], version } }),
      'PATCH /api/apps/shop/forms/customer/records/1': {
        status: 409, body: errorBody('stale_version', '记录已被修改，请刷新后重试'),
      },
      'GET /api/apps/shop/forms/customer/records/1/audit': { body: { items: [], total: 0, page: 1, page_size: 50 } },
    }));
    renderApp('/apps/shop/forms/customer?record=1');
    await user.click(await screen.findByTestId('record-edit'));
    await user.click(screen.getByTestId('record-save'));
    const conflict = await screen.findByTestId('conflict');
    expect(conflict).toHaveTextContent('记录已被修改，请刷新后重试');
    expect(calls.find((c) => c.method === 'PATCH')?.body).toMatchObject({ version: 3, name: '张三' });

    version = 4;
    await user.click(within(conflict).getByRole('button'));
    await waitFor(() => expect(screen.queryByTestId('conflict')).not.toBeInTheDocument());
    await user.click(screen.getByTestId('record-save'));
    await waitFor(() => expect(calls.filter((c) => c.method === 'PATCH').at(-1)?.body).toMatchObject({ version: 4 }));
  });

  it('keeps read-only fields out of the edit and the write', async () => {
    const user = userEvent.setup();
    const calls = mockFetch(routes({
      'POST /api/apps/shop/forms/customer/records': { status: 201, body: { id: 9, version: 1, name: '王五' } },
    }, CLERK_ME));
    renderApp('/apps/shop/forms/customer?new=1');
    const form = await screen.findByTestId('record-form');
    expect(within(form).getByTestId('readonly-credit')).toBeInTheDocument();
    expect(within(form).queryByText('消费')).not.toBeInTheDocument();
    await user.type(form.querySelector('#name') as HTMLElement, '王五');
    await user.click(screen.getByTestId('record-save'));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ name: '王五' }));
  });
});

describe('runtime: task inbox', () => {
  beforeEach(() => window.localStorage.setItem(TOKEN_STORAGE_KEY, 'tok'));

  it('lists the boxes with counts and approves a task with a comment', async () => {
    const user = userEvent.setup();
    const task = {
      id: 7, instance: 3, app: 'shop', flow: 'refund', node: 'mgr', kind: 'approval', status: 'pending',
      assignee: 1, form: 'order', record_id: 4, initiator: 2, instance_status: 'running',
      created_at: '2026-11-20T01:00:00Z', due_at: null, decided_at: null, decided_by: null, comment: null,
    };
    let acted = false;
    const calls = mockFetch(routes({
      'GET /api/tasks': () => ({ body: acted
        ? { ...NO_TASKS, items: [], counts: { todo: 0, done: 6, cc: 2 } }
        : { ...NO_TASKS, items: [task], counts: { todo: 1, done: 5, cc: 2 } } }),
      'GET /api/flow-instances/3': { body: {
        id: 3, app: 'shop', flow: 'refund', name: '退款审批', version: 2, status: 'running', initiator: 2,
        form: 'order', record_id: 4, started_at: '2026-11-20T01:00:00Z', ended_at: null,
        record: { id: 4, version: 1, no: 'DD0004', amount: 88 }, current: ['mgr'],
        tasks: [{ id: 7, node: 'mgr', node_name: '主管审批', kind: 'approval', assignee: 1, status: 'pending',
          created_at: null, decided_at: null, decided_by: null, comment: null }],
        history: [
          { seq: 1, at: '2026-11-20T01:00:00Z', node: 'start', action: 'started', by: 2, task: null, detail: {} }],
      } },
      'POST /api/tasks/7/actions': () => {
        acted = true;
        return { body: {} };
      },
    }));
    renderApp('/tasks');
    expect(await screen.findByTestId('box-done')).toHaveTextContent('5');
    await waitFor(() => expect(screen.getByTestId('nav-tasks')).toHaveTextContent('1'));
    await user.click(await screen.findByTestId('task-item'));
    const drawer = await screen.findByTestId('task-drawer');
    expect(await within(drawer).findByText('¥88.00')).toBeInTheDocument();
    expect(within(drawer).getByTestId('flow-history')).toHaveTextContent('主管审批');
    await user.type(within(drawer).getByTestId('task-comment'), '同意退款');
    await user.click(within(drawer).getByTestId('task-submit'));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body)
      .toEqual({ action: 'approve', comment: '同意退款' }));
    // the header's to-do badge follows without leaving the page
    await waitFor(() => expect(screen.getByTestId('nav-tasks')).not.toHaveTextContent('1'));
  });
});

describe('runtime: dashboards and notifications', () => {
  beforeEach(() => window.localStorage.setItem(TOKEN_STORAGE_KEY, 'tok'));

  it('draws the widgets, re-queries with a shared filter and drills into the records', async () => {
    const user = userEvent.setup();
    const board = {
      key: 'main', name: '经营看板', description: null, values: {},
      filters: [
        { key: 'period', label: '日期', type: 'date_range', default: 'this_year', targets: { by_level: 'created_at' } },
        { key: 'level', label: '等级', type: 'select', targets: { by_level: 'level' } }],
      widgets: [
        { report: 'by_level', x: 0, y: 0, w: 12, h: 4, data: { report: { key: 'by_level', name: '按等级' },
          chart: { type: 'bar', option: { series: [{ type: 'bar', data: [{ value: 2, drill: "level = 'gold'" }] }] } },
        } },
        { report: 'secret', x: 12, y: 0, w: 12, h: 4, error: { code: 'report_not_allowed', status: 403 } },
      ],
    };
    const calls = mockFetch(routes({ 'GET /api/apps/shop/dashboards/main': { body: board } }));
    renderApp('/apps/shop/dashboards/main');
    const widgets = await screen.findAllByTestId('dashboard-widget');
    expect(widgets[0]).toHaveTextContent('按等级');
    expect(widgets[1]).toHaveTextContent('report_not_allowed');
    expect(screen.getByTestId('filter-period')).toHaveTextContent('今年');

    await user.click(within(screen.getByTestId('filter-level')).getByRole('combobox'));
    await user.click(await screen.findByTitle('金牌'));
    const fetchMock = globalThis.fetch as unknown as { mock: { calls: [string][] } };
    await waitFor(() => expect(fetchMock.mock.calls.map((c) => c[0]))
      .toContain('/api/apps/shop/dashboards/main?level=gold'));

    fake.click?.({ data: { value: 2, drill: "level = 'gold'" } });
    expect(await screen.findByTestId('drill-filter')).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/apps/shop/forms/customer');
    await waitFor(() => expect(fetchMock.mock.calls.map((c) => c[0]).some((u) =>
      u.startsWith('/api/apps/shop/forms/customer/records?') && u.includes('filter=level+%3D+%27gold%27'))).toBe(true));
    expect(query(calls, '/api/apps/shop/dashboards/main').length).toBeGreaterThanOrEqual(2);
  });

  it('drills from a report over sub-table rows into the records the rows belong to', async () => {
    const board = {
      key: 'main', name: '经营看板', description: null, values: {}, filters: [],
      widgets: [{ report: 'hot', x: 0, y: 0, w: 12, h: 4, data: {
        report: { key: 'hot', name: '热销', drill_form: 'customer' },
        chart: { type: 'bar', option: { series: [{ type: 'bar', data: [{ value: 3, drill: 'x = 1' }] }] } } } }],
    };
    mockFetch(routes({ 'GET /api/apps/shop/dashboards/main': { body: board } }));
    renderApp('/apps/shop/dashboards/main');
    await screen.findAllByTestId('dashboard-widget');
    fake.click?.({ data: { value: 3, drill: 'x = 1' } });
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/apps/shop/forms/customer'));
  });

  it('shows the unread count on the bell and marks a notification read', async () => {
    const user = userEvent.setup();
    let unread = 1;
    const calls = mockFetch(routes({
      'GET /api/notifications': () => ({ body: { unread, total: 1, page: 1, page_size: 20, items: [
        { id: 4, app: 'shop', instance: null, reason: 'notify', channel: 'in_app', title: '退款已处理', text: 'DD0004',
          created_at: '2026-11-20T01:00:00Z', read_at: unread ? null : '2026-11-20T02:00:00Z' }] } }),
      'POST /api/notifications/4/read': () => {
        unread = 0;
        return { body: { id: 4, read: true } };
      },
    }));
    renderApp('/');
    const bell = await screen.findByTestId('bell');
    await waitFor(() => expect(bell).toHaveTextContent('1'));
    await user.click(bell);
    await user.click(await screen.findByText('退款已处理'));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/api/notifications/4/read'))
      .toBe(true));
    await waitFor(() => expect(bell).not.toHaveTextContent('1'));
  });

  it('opens the record a mention is about', async () => {
    const user = userEvent.setup();
    mockFetch(routes({
      'GET /api/notifications': { body: { unread: 1, total: 1, page: 1, page_size: 20, items: [
        { id: 5, app: 'shop', instance: null, form: 'customer', record: 2, reason: 'mention', channel: 'in_app',
          title: '小王 在「客户·李四」的评论中提到了你', text: '请跟进', created_at: '2026-11-20T01:00:00Z', read_at: null }] } },
      'POST /api/notifications/5/read': { body: { id: 5, read: true } },
    }));
    renderApp('/');
    await user.click(await screen.findByTestId('bell'));
    await user.click(await screen.findByText('小王 在「客户·李四」的评论中提到了你'));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/apps/shop/forms/customer'));
  });
});
