import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, TOKEN_STORAGE_KEY, type RecordData, type ViewItem } from '../../api';
import { errorBody, mockFetch, renderApp, type MockHandler } from '../../test/utils';
import { recordsOn } from './CalendarView';
import { ganttBars } from './GanttView';
import { moveRecord } from './KanbanView';
import { bothFilters, recordColors, sortParam } from './model';
import { VIEW_TYPES } from './registry';
import { buildTree } from './TreeView';


const TASKS_FORM = {
  key: 'task', name: '任务', title_field: 'title',
  fields: [
    { key: 'title', type: 'text', label: '标题' },
    { key: 'status', type: 'select', label: '状态',
      options: [{ value: 'todo', label: '待办' }, { value: 'doing', label: '进行中' }, { value: 'done', label: '完成' }] },
    { key: 'start', type: 'date', label: '开始' },
    { key: 'due', type: 'date', label: '截止' },
    { key: 'hours', type: 'number', label: '工时' },
    { key: 'parent', type: 'relation', label: '上级', target: 'task' },
    { key: 'photo', type: 'image', label: '图片' },
  ],
};
const WORK = { key: 'work', name: '工作', version: 1, forms: [TASKS_FORM], menus: [], flows: [] };
const ME = { id: 1, username: 'admin', name: 'Administrator', is_admin: true, departments: [], roles: [] };
const TASKS: RecordData[] = [
  { id: 1, version: 2, title: '设计', status: 'todo', start: '2026-11-02', due: '2026-11-04', hours: 12, parent: null,
    photo: [{ token: 'a', name: 'a.png', size: 1, mime: 'image/png', url: '/api/files/a', thumb_url: '/t/a.png' }] },
  { id: 2, version: 1, title: '开发', status: 'doing', start: '2026-11-05', due: '2026-11-12', hours: 3,
    parent: { id: 1, title: '设计' }, photo: null },
  { id: 3, version: 5, title: '测试', status: null, start: null, due: null, hours: null,
    parent: { id: 2, title: '开发' }, photo: null },
];
const VIEWS: ViewItem[] = [
  { id: null, saved: false, key: 'board', form: 'task', name: '任务看板', type: 'kanban', group_by: 'status',
    card_fields: ['hours'], colors: [{ when: 'hours > 10', color: 'red' }] },
  { id: null, saved: false, key: 'month', form: 'task', name: '日程', type: 'calendar', date: 'start', end: 'due' },
  { id: null, saved: false, key: 'pics', form: 'task', name: '图集', type: 'gallery', cover: 'photo' },
  { id: null, saved: false, key: 'plan', form: 'task', name: '计划', type: 'gantt', start: 'start', end: 'due' },
  { id: null, saved: false, key: 'nest', form: 'task', name: '层级', type: 'tree', parent: 'parent' },
  { id: null, saved: false, key: 'grid', form: 'task', name: '按状态', type: 'table', group_by: 'status',
    columns: ['title', 'hours'], filter: 'hours > 0', sort: [{ field: 'hours', desc: true }],
    colors: [{ when: 'hours > 10', color: '#ff0000' }, { when: 'hours < 5', color: '#00ff00', field: 'hours' }] },
  { id: 7, saved: true, key: 'mine', form: 'task', name: '我的', type: 'table' },
];
const LIST = { items: TASKS, total: 3, page: 1, page_size: 500 };

function routes(extra: Record<string, MockHandler> = {}): Record<string, MockHandler> {
  return {
    'GET /api/me': { body: ME },
    'GET /api/apps/work': { body: WORK },
    'GET /api/tasks': { body: { box: 'todo', items: [], counts: { todo: 0, done: 0, cc: 0 }, page: 1, page_size: 50 } },
    'GET /api/notifications': { body: { unread: 0, total: 0, page: 1, page_size: 20, items: [] } },
    'GET /api/apps/work/forms/task/records': { body: LIST },
    'GET /api/apps/work/forms/task/views': { body: { items: VIEWS } },
    ...extra,
  };
}

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

const scope = { fields: TASKS_FORM.fields as never, ctx: { now: new Date(), tz: 'Asia/Shanghai' } };

describe('views: the pieces', () => {
  it('has a renderer entry for each view type the server registers', () => {
    // engines/views VIEW_TYPES, in the same order
    expect(VIEW_TYPES.map((t) => t.key)).toEqual(['table', 'kanban', 'calendar', 'gallery', 'gantt', 'tree']);
  });

  it('asks the API with the view sort and both filters', () => {
    expect(sortParam(VIEWS[5])).toBe('-hours');
    expect(sortParam(VIEWS[0])).toBeUndefined();
    expect(bothFilters('hours > 0', '')).toBe('hours > 0');
    expect(bothFilters('hours > 0', "status = 'todo'")).toBe("(hours > 0) AND (status = 'todo')");
  });

  it('colours a record by the first rule that holds, and cells by their own rules', () => {
    expect(recordColors(VIEWS[5], TASKS[0], scope)).toEqual({ record: '#ff0000', cells: {} });
    expect(recordColors(VIEWS[5], TASKS[1], scope)).toEqual({ cells: { hours: '#00ff00' } });
    expect(recordColors(VIEWS[0], TASKS[0], scope).record).toBe('#f5222d'); // palette name
    expect(recordColors(VIEWS[0], TASKS[2], scope)).toEqual({ cells: {} }); // empty value: the rule does not hold
  });

  it('nests records by their parent and survives a cycle', () => {
    const tree = buildTree(TASKS, 'parent');
    expect(tree.map((r) => r.id)).toEqual([1]);
    expect(tree[0].children?.[0].id).toBe(2);
    expect(tree[0].children?.[0].children?.[0].id).toBe(3);
    const cycle = buildTree([{ id: 1, version: 1, p: 2 }, { id: 2, version: 1, p: { id: 1 } }], 'p');
    expect(cycle.map((r) => r.id).sort()).toEqual([1, 2]);
  });

  it('places records on calendar days and gantt bars between their dates', () => {
    expect(recordsOn(TASKS, '2026-11-03', 'start', 'due').map((r) => r.id)).toEqual([1]);
    expect(recordsOn(TASKS, '2026-11-05', 'start', 'due').map((r) => r.id)).toEqual([2]);
    expect(recordsOn(TASKS, '2026-11-05', 'start').map((r) => r.id)).toEqual([2]);
    const { bars, from, days } = ganttBars(TASKS, 'start', 'due');
    expect(bars.map((b) => b.record.id)).toEqual([1, 2]);
    expect([from, days]).toEqual(['2026-11-02', 11]);
  });

  it('moves a kanban card with its version and reports a conflict as 409', async () => {
    const calls = mockFetch({
      'PATCH /api/apps/work/forms/task/records/1': { body: { ...TASKS[0], status: 'done', version: 3 } },
      'PATCH /api/apps/work/forms/task/records/2': { status: 409, body: errorBody('version_conflict', '已被修改') },
    });
    const moved = await moveRecord('work', 'task', TASKS[0], 'status', 'done');
    expect(moved.version).toBe(3);
    expect(calls[0].body).toEqual({ status: 'done', version: 2 });
    await expect(moveRecord('work', 'task', TASKS[1], 'status', 'done')).rejects.toMatchObject({ status: 409 });
    await expect(moveRecord('work', 'task', TASKS[1], 'status', 'done')).rejects.toBeInstanceOf(ApiError);
  });
});

describe('views: on the record list', () => {
  let restore: () => void;
  beforeEach(() => {
    window.localStorage.setItem(TOKEN_STORAGE_KEY, 'tok');
    restore = screenWidth(1280);
  });
  afterEach(() => restore());

  it('switches to a kanban view: a column per option, cards in them, all records at once', async () => {
    const user = userEvent.setup();
    const calls = mockFetch(routes());
    renderApp('/apps/work/forms/task');
    await user.click(await screen.findByTestId('view-option-board'));
    const board = await screen.findByTestId('view-kanban');
    const columns = within(board).getAllByTestId('kanban-column');
    expect(columns.map((c) => c.getAttribute('data-value'))).toEqual(['todo', 'doing', 'done', '']);
    expect(within(columns[0]).getByText('设计')).toBeInTheDocument();
    expect(within(columns[3]).getByText('测试')).toBeInTheDocument();
    expect(within(columns[0]).getByText('工时')).toBeInTheDocument();
    const fetchMock = globalThis.fetch as unknown as { mock: { calls: [string][] } };
    expect(fetchMock.mock.calls.map((c) => c[0]).some((u) => u.includes('page_size=500'))).toBe(true);
    expect(screen.getByTestId('location')).toHaveTextContent('/apps/work/forms/task');
    expect(calls.some((c) => c.path === '/api/apps/work/forms/task/views')).toBe(true);
  });

  it('draws the calendar, gallery, gantt and tree views', async () => {
    mockFetch(routes());
    renderApp('/apps/work/forms/task?view=month');
    const events = await screen.findAllByTestId('calendar-event');
    expect(events.filter((e) => e.textContent === '设计')).toHaveLength(3); // 2nd to 4th
    fireEvent.click(screen.getByTestId('view-option-pics'));
    const cards = await screen.findAllByTestId('gallery-card');
    expect(cards).toHaveLength(3);
    expect(cards[0].querySelector('img')?.getAttribute('src')).toBe('/t/a.png');
    fireEvent.click(screen.getByTestId('view-option-plan'));
    expect(await screen.findAllByTestId('gantt-bar')).toHaveLength(2);
    expect(screen.getByText(/1 more record has no start date|另有 1 条记录没有开始日期/)).toBeInTheDocument();
    fireEvent.click(screen.getByTestId('view-option-nest'));
    const tree = await screen.findByTestId('view-tree');
    await waitFor(() => expect(within(tree).getByText('测试')).toBeInTheDocument());
  });

  it('groups and colours the table of a table view and asks with its filter and sort', async () => {
    mockFetch(routes());
    renderApp('/apps/work/forms/task?view=grid');
    const table = await screen.findByTestId('records-table');
    await waitFor(() => expect(within(table).getByText('待办 (1)')).toBeInTheDocument());
    expect(within(table).getByText('（未填写） (1)')).toBeInTheDocument();
    const row = within(table).getByText('设计').closest('tr') as HTMLElement;
    expect(row.getAttribute('data-color')).toBe('#ff0000');
    expect(within(table).queryByText('开始')).not.toBeInTheDocument(); // only the view's columns
    const fetchMock = globalThis.fetch as unknown as { mock: { calls: [string][] } };
    const url = fetchMock.mock.calls.map((c) => c[0]).find((u) => u.includes('/records?')) ?? '';
    const query = new URL(url, 'http://localhost').searchParams;
    expect(query.get('sort')).toBe('status,-hours');
    expect(query.get('filter')).toBe('hours > 0');
  });

  it('saves the current view under a new name and deletes an own saved one', async () => {
    const user = userEvent.setup();
    const calls = mockFetch(routes({
      'POST /api/apps/work/forms/task/views': { status: 201,
        body: { ...VIEWS[0], id: 9, saved: true, key: 'mine_1', name: '我的看板' } },
      'DELETE /api/apps/work/forms/task/views/7': { status: 204 },
    }));
    renderApp('/apps/work/forms/task?view=board&filter=hours%20%3E%201');
    await screen.findByTestId('view-kanban');
    await user.click(screen.getByTestId('view-menu'));
    await user.click(await screen.findByText('将当前保存为视图'));
    await user.type(await screen.findByTestId('view-name'), '我的看板');
    await user.click(document.getElementById('view-save-ok') as HTMLElement);
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toMatchObject({ name: '我的看板', type: 'kanban', group_by: 'status', form: 'task',
      filter: 'hours > 1', colors: [{ when: 'hours > 10', color: 'red' }] });
    expect(post?.body).not.toHaveProperty('id');
    expect(post?.body).not.toHaveProperty('key');

    fireEvent.click(screen.getByTestId('view-option-mine'));
    await waitFor(() => expect(screen.getByTestId('location')).toBeInTheDocument());
    await user.click(screen.getByTestId('view-menu'));
    await user.click(await screen.findByText('删除此视图'));
    await waitFor(() => expect(document.querySelector('.ant-modal-confirm .ant-btn-primary')).not.toBeNull());
    await user.click(document.querySelector('.ant-modal-confirm .ant-btn-primary') as HTMLElement);
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE')).toBe(true));
  });

  it('falls back to the app views when the views API is missing', async () => {
    mockFetch(routes({ 'GET /api/apps/work/forms/task/views': { status: 404, body: errorBody('not_found', 'x') },
      'GET /api/apps/work': { body: { ...WORK, views: [{ ...VIEWS[0], id: undefined, saved: undefined }] } } }));
    renderApp('/apps/work/forms/task?view=board');
    expect(await screen.findByTestId('view-kanban')).toBeInTheDocument();
  });
});
