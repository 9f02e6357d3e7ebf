/**
 * A form's records: a table with columns from the form's fields (cards below 768 px), sort, quick search, paging,
 * a drill-down filter from a dashboard, bulk delete, export, and the record drawer (`?record=ID`, `?new=1`).
 * The query lives in the URL so a list can be bookmarked and reloaded. A view (`?view=KEY`, docs/views.md) draws
 * the same records as a kanban, calendar, gallery, gantt or tree, or the table with its columns, groups and colours.
 */
import { useMemo, useState } from 'react';
import {
  App as AntApp, Button, Card, Empty, Grid, Input, List, Pagination, Popconfirm, Space, Table, Tag, Typography,
} from 'antd';
import type { TableColumnsType, TableProps } from 'antd';
import {
  DeleteOutlined, DownloadOutlined, FilterOutlined, PlusOutlined, ReloadOutlined, UploadOutlined,
} from '@ant-design/icons';
import { useParams, useSearchParams } from 'react-router-dom';
import { runtimeApi, type RecordData, type ViewItem } from '../api';
import { ApiErrorAlert, errorMessage } from '../components/ApiErrorAlert';
import { PageHeader } from '../components/PageHeader';
import { useI18n } from '../i18n';
import { useAsync } from '../useAsync';
import { useFormAccess } from './access';
import { findForm, useRuntime } from './context';
import {
  fieldLabel, fieldsOf, LAYOUT_TYPES, recordTitle, renderValue, shownAs, valueText, type FieldDef,
} from './fields';
import { ImportWizard } from './ImportWizard';
import { RecordDrawer } from './RecordDrawer';
import {
  bothFilters, exprScope, groupRecords, namedFields, recordColors, setting, settingList, sortParam, tint,
} from './views/model';
import { viewType } from './views/registry';
import { ViewSwitcher } from './views/ViewSwitcher';

const UNSORTABLE = new Set(['subtable', 'multi_select', 'tags', 'attachment', 'image', 'signature', 'address',
  'location', 'rich_text']);
const PAGE_SIZE = 20;
const PAGE_SIZES = [20, 50, 100, 200, 500];
// from this many rows a page draws only the rows in sight (the server pages at most 500 at a time)
const VIRTUAL_FROM = 100;
const VIRTUAL_HEIGHT = 640;
const VIRTUAL_COLUMN = 160; // a virtual table needs fixed column widths
// boards, calendars, galleries, timelines and trees show the records at once, up to the API's page limit
const VIEW_LIMIT = 500;

type Row = RecordData & { children?: Row[]; groupTitle?: string };

export function RecordListPage() {
  const { form: formKey = '' } = useParams();
  const { app, me } = useRuntime();
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const screens = Grid.useBreakpoint();
  const narrow = screens.md === false;
  const [params, setParams] = useSearchParams();
  const definition = findForm(app, formKey);
  const access = useFormAccess(app, me, formKey);
  const q = params.get('q') ?? '';
  const filter = params.get('filter') ?? '';
  const sort = params.get('sort') ?? '';
  const page = Number(params.get('page') ?? '1') || 1;
  const sizeParam = Number(params.get('size'));
  const pageSize = PAGE_SIZES.includes(sizeParam) ? sizeParam : PAGE_SIZE;
  const opened = params.get('record');
  const creating = params.get('new') === '1';
  const [selected, setSelected] = useState<number[]>([]);
  const [busy, setBusy] = useState(false);
  const viewKey = params.get('view') ?? '';
  const [collapsed, setCollapsed] = useState<Set<number>>(new Set());
  const [importing, setImporting] = useState(false);

  const views = useAsync(
    // an older server without the views API: the app's own views still work
    (signal) => runtimeApi.views(app.key, formKey, signal).then((r) => r.items).catch((err: unknown) => {
      if (signal.aborted) throw err;
      return ((app.views as ViewItem[] | undefined) ?? []).filter((v) => v.form === formKey)
        .map((v) => ({ ...v, id: null, saved: false }));
    }),
    [app.key, formKey],
  );
  const current = views.data?.find((v) => v.key === viewKey);
  const renderer = viewType(current?.type)?.Renderer;
  const groupBy = current?.type === 'table' ? setting(current, 'group_by') : undefined;
  const viewSort = sortParam(current) ?? (current ? viewType(current.type)?.defaultSort?.(current) : undefined);
  const listSort = [groupBy, sort || viewSort].filter(Boolean).join(',') || undefined;
  const listFilter = bothFilters(current?.filter, filter);
  const ready = !viewKey || !views.loading;

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(key);
      else next.set(key, value);
    }
    setParams(next);
  };

  const list = useAsync(
    (signal) => (ready ? runtimeApi.listRecords(app.key, formKey, {
      page: renderer ? 1 : page, page_size: renderer ? VIEW_LIMIT : pageSize, q: q || undefined, sort: listSort,
      filter: listFilter,
    }, signal) : new Promise<never>(() => {})),
    [app.key, formKey, page, pageSize, q, listSort, listFilter, ready, !!renderer],
  );
  const userId = typeof me?.id === 'number' ? me.id : null;
  const scope = useMemo(() => exprScope(app, formKey, userId), [app, formKey, userId]);

  const fields = useMemo(() => {
    const all = fieldsOf(definition).filter((f) => !f.hidden && !LAYOUT_TYPES.has(f.type));
    const first = list.data?.items[0];
    // the API leaves out what this viewer may not see
    const shown = first ? all.filter((f) => f.key in first) : all.filter((f) => !access.hidden.has(f.key));
    return shown.map((f) => shownAs(f, definition, app.forms));
  }, [definition, list.data, access.hidden, app.forms]);

  if (!definition) {
    return <Empty className="page" description={t('rt.form.notFound', { form: formKey })} />;
  }

  const sortOrder = (key: string) => (sort === key ? 'ascend' : sort === `-${key}` ? 'descend' : null);
  const tableFields = current?.type === 'table' ? namedFields(fields, settingList(current, 'columns')) : fields;
  const columns: TableColumnsType<Row> = tableFields.map((f: FieldDef, index) => ({
    key: f.key,
    dataIndex: f.key,
    title: fieldLabel(f),
    sorter: !UNSORTABLE.has(f.type),
    sortOrder: sortOrder(f.key),
    ellipsis: f.type === 'long_text',
    align: ['number', 'money', 'percent', 'rollup'].includes(f.type) ? 'right' : undefined,
    // a sub-table shows its row count here; its rows are on the record page
    // a group's heading row spans the whole table
    onCell: (record: Row) => {
      if (record.groupTitle !== undefined) return { colSpan: index === 0 ? tableFields.length : 0 };
      const color = recordColors(current, record, scope).cells[f.key];
      return color ? { style: { background: tint(color) } } : {};
    },
    render: (value: unknown, record: Row) => {
      if (record.groupTitle !== undefined) return <Typography.Text strong>{record.groupTitle}</Typography.Text>;
      return f.type === 'subtable'
        ? t('rt.list.rows', { count: Array.isArray(value) ? value.length : 0 }) : renderValue(f, value, lang);
    },
  }));

  const onTableChange: TableProps<Row>['onChange'] = (pagination, _filters, sorter) => {
    const one = Array.isArray(sorter) ? sorter[0] : sorter;
    const nextSort = one?.order ? `${one.order === 'descend' ? '-' : ''}${String(one.columnKey)}` : '';
    const nextSize = pagination.pageSize ?? pageSize;
    const restart = nextSort !== sort || nextSize !== pageSize;
    update({ sort: nextSort, page: String(restart ? 1 : pagination.current ?? 1),
      size: nextSize === PAGE_SIZE ? null : String(nextSize) });
  };

  const removeSelected = async () => {
    setBusy(true);
    try {
      for (const id of selected) await runtimeApi.deleteRecord(app.key, formKey, id);
      message.success(t('rt.list.deleted', { count: selected.length }));
      setSelected([]);
    } catch (err) {
      message.error(errorMessage(err, t));
    } finally {
      setBusy(false);
      list.reload();
    }
  };

  const exportAll = async () => {
    try {
      await runtimeApi.exportRecords(app.key, formKey, { q: q || undefined, filter: filter || undefined,
        sort: sort || undefined }, definition.name);
    } catch (err) {
      message.error(errorMessage(err, t));
    }
  };

  const items = list.data?.items ?? [];
  const total = list.data?.total ?? 0;
  const groupField = fields.find((f) => f.key === groupBy);
  // grouped: a heading row per value with the page's records of that value under it
  const rows: Row[] = groupField
    ? groupRecords(items, groupField).map((g) => ({
      id: -(items.indexOf(g.records[0]) + 1), version: 0,
      groupTitle: `${valueText(groupField, g.value, lang) || t('rt.view.noValue')} (${g.records.length})`,
      children: g.records,
    }))
    : items;
  const virtual = pageSize > VIRTUAL_FROM && !groupField;
  const open = (id: number) => update({ record: String(id) });
  const selectView = (key: string) => update({ view: key, page: null, sort: null });
  const snapshot = () => {
    const base = current ?? { key: '', form: formKey, name: '', type: 'table', id: null, saved: false };
    const { id: _id, saved: _saved, key: _key, name: _name, problem: _problem, ...settings } = base;
    const sortBy = sort ? [{ field: sort.replace(/^-/, ''), desc: sort.startsWith('-') }] : base.sort;
    return { ...settings, sort: sortBy ?? [], filter: bothFilters(base.filter, filter) ?? null };
  };
  const cardFields = fields.filter((f) => f.key !== definition.title_field).slice(0, 4);

  return (
    <div className="page rt-list" data-testid="record-list">
      <PageHeader
        title={definition.name}
        subtitle={list.data ? t('rt.list.total', { count: total }) : undefined}
        extra={
          <Space wrap>
            {access.can('import') ? (
              <Button icon={<UploadOutlined />} onClick={() => setImporting(true)} data-testid="import">
                {t('rt.import.button')}
              </Button>
            ) : null}
            {access.can('export') ? (
              <Button icon={<DownloadOutlined />} onClick={exportAll} data-testid="export">
                {t('rt.list.export')}
              </Button>
            ) : null}
            {access.can('create') ? (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => update({ new: '1', record: null })}
                data-testid="record-new">
                {t('rt.list.new')}
              </Button>
            ) : null}
          </Space>
        }
      />
      <Card className="section-card">
        <ViewSwitcher app={app.key} form={formKey} views={views.data ?? []} current={current} snapshot={snapshot}
          onSelect={selectView}
          onSaved={(saved) => { views.reload(); update({ view: saved?.key ?? null, page: null, sort: null }); }} />
        <Space className="rt-list__toolbar" wrap>
          <Input.Search
            key={q}
            allowClear
            defaultValue={q}
            placeholder={t('rt.list.search')}
            onSearch={(value) => update({ q: value, page: null })}
            className="rt-list__search"
            data-testid="record-search"
          />
          {filter ? (
            <Tag icon={<FilterOutlined />} title={filter} closable onClose={() => update({ filter: null, page: null })}
              data-testid="drill-filter" className="rt-list__filter">
              {t('rt.list.filtered')}
            </Tag>
          ) : null}
          {selected.length && access.can('delete') ? (
            <Popconfirm title={t('rt.list.deleteConfirm', { count: selected.length })} onConfirm={removeSelected}>
              <Button danger icon={<DeleteOutlined />} loading={busy} data-testid="bulk-delete">
                {t('rt.list.deleteSelected', { count: selected.length })}
              </Button>
            </Popconfirm>
          ) : null}
          <Button icon={<ReloadOutlined />} onClick={list.reload} aria-label={t('apps.reload')} />
        </Space>
        {list.error ? <ApiErrorAlert error={list.error} /> : null}
        {current && renderer ? (
          <div className="rt-view" data-testid={`view-${current.type}-body`}>
            {list.data ? (() => {
              const Renderer = renderer;
              return (
                <Renderer app={app} view={current} form={definition} fields={fields} records={items} scope={scope}
                  onOpen={open} onChanged={list.reload} canUpdate={access.can('update')} />
              );
            })() : <Card loading bordered={false} />}
            {total > items.length ? (
              <Typography.Text type="secondary" className="rt-view__note">
                {t('rt.view.limited', { shown: items.length, total })}
              </Typography.Text>
            ) : null}
          </div>
        ) : narrow ? (
          <>
            <List
              data-testid="record-cards"
              loading={list.loading}
              dataSource={items}
              locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.list.empty')} /> }}
              renderItem={(record) => (
                <Card size="small" className="rt-card" hoverable onClick={() => update({ record: String(record.id) })}
                  data-testid="record-card">
                  <Typography.Text strong>{recordTitle(definition, record, lang)}</Typography.Text>
                  {cardFields.map((f) => (
                    <div key={f.key} className="rt-card__line">
                      <Typography.Text type="secondary">{fieldLabel(f)}</Typography.Text>
                      <span className="rt-card__value">{valueText(f, record[f.key], lang) || '—'}</span>
                    </div>
                  ))}
                </Card>
              )}
            />
            {total > pageSize ? (
              <Pagination simple current={page} pageSize={pageSize} total={total} className="rt-list__pager"
                onChange={(p) => update({ page: String(p) })} />
            ) : null}
          </>
        ) : (
          <Table<Row>
            data-testid="records-table"
            rowKey="id"
            size="middle"
            loading={list.loading}
            columns={virtual ? columns.map((c) => ({ ...c, width: VIRTUAL_COLUMN })) : columns}
            dataSource={rows}
            expandable={groupField ? {
              expandedRowKeys: rows.map((r) => r.id).filter((id) => !collapsed.has(id)),
              onExpand: (expanded, record) => setCollapsed((all) => {
                const next = new Set(all);
                if (expanded) next.delete(record.id); else next.add(record.id);
                return next;
              }),
            } : undefined}
            virtual={virtual}
            scroll={virtual ? { x: columns.length * VIRTUAL_COLUMN + 48, y: VIRTUAL_HEIGHT } : { x: 'max-content' }}
            onChange={onTableChange}
            rowSelection={access.can('delete') && !groupField ? {
              columnWidth: 48,
              selectedRowKeys: selected,
              onChange: (keys) => setSelected(keys.map(Number)),
            } : undefined}
            onRow={(record) => {
              if (record.groupTitle !== undefined) return { className: 'rt-list__group' };
              const color = recordColors(current, record, scope).record;
              return { onClick: () => open(record.id), className: 'rt-row-link',
                style: color ? { background: tint(color) } : undefined, 'data-color': color } as object;
            }}
            pagination={{ current: page, pageSize, total, showSizeChanger: true, pageSizeOptions: PAGE_SIZES,
              showTotal: (n) => t('rt.list.total', { count: n }) }}
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.list.empty')} /> }}
          />
        )}
      </Card>
      {importing ? (
        <ImportWizard app={app.key} form={definition} onClose={() => setImporting(false)} onImported={list.reload} />
      ) : null}
      {opened || creating ? (
        <RecordDrawer
          form={definition}
          recordId={opened ? Number(opened) : null}
          onClose={() => update({ record: null, new: null })}
          onChanged={(record) => {
            list.reload();
            if (record) update({ record: String(record.id), new: null });
            else update({ record: null, new: null });
          }}
        />
      ) : null}
    </div>
  );
}
