/**
 * A form's records: a table with columns from the form's fields (cards below 768 px), sort, quick search, paging,
 * a drill-down filter from a dashboard, bulk delete, export, and the record drawer (`?record=ID`, `?new=1`).
 * The query lives in the URL so a list can be bookmarked and reloaded.
 */
import { useMemo, useState } from 'react';
import {
  App as AntApp, Button, Card, Empty, Grid, Input, List, Pagination, Popconfirm, Space, Table, Tag, Typography,
} from 'antd';
import type { TableColumnsType, TableProps } from 'antd';
import { DeleteOutlined, DownloadOutlined, FilterOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useParams, useSearchParams } from 'react-router-dom';
import { runtimeApi, type RecordData } from '../api';
import { ApiErrorAlert, errorMessage } from '../components/ApiErrorAlert';
import { PageHeader } from '../components/PageHeader';
import { useI18n } from '../i18n';
import { useAsync } from '../useAsync';
import { formAccess } from './access';
import { findForm, useRuntime } from './context';
import {
  fieldLabel, fieldsOf, LAYOUT_TYPES, recordTitle, renderValue, shownAs, valueText, type FieldDef,
} from './fields';
import { RecordDrawer } from './RecordDrawer';

const UNSORTABLE = new Set(['subtable', 'multi_select', 'tags', 'attachment', 'image', 'signature', 'address',
  'location', 'rich_text']);
const PAGE_SIZE = 20;

export function RecordListPage() {
  const { form: formKey = '' } = useParams();
  const { app, me } = useRuntime();
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const screens = Grid.useBreakpoint();
  const narrow = screens.md === false;
  const [params, setParams] = useSearchParams();
  const definition = findForm(app, formKey);
  const access = formAccess(app, me, formKey);
  const q = params.get('q') ?? '';
  const filter = params.get('filter') ?? '';
  const sort = params.get('sort') ?? '';
  const page = Number(params.get('page') ?? '1') || 1;
  const opened = params.get('record');
  const creating = params.get('new') === '1';
  const [selected, setSelected] = useState<number[]>([]);
  const [busy, setBusy] = useState(false);

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(key);
      else next.set(key, value);
    }
    setParams(next);
  };

  const list = useAsync(
    (signal) => runtimeApi.listRecords(app.key, formKey, {
      page, page_size: PAGE_SIZE, q: q || undefined, sort: sort || undefined, filter: filter || undefined,
    }, signal),
    [app.key, formKey, page, q, sort, filter],
  );

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
  const columns: TableColumnsType<RecordData> = fields.map((f: FieldDef) => ({
    key: f.key,
    dataIndex: f.key,
    title: fieldLabel(f),
    sorter: !UNSORTABLE.has(f.type),
    sortOrder: sortOrder(f.key),
    ellipsis: f.type === 'long_text',
    align: ['number', 'money', 'percent', 'rollup'].includes(f.type) ? 'right' : undefined,
    // a sub-table shows its row count here; its rows are on the record page
    render: (value: unknown) => (f.type === 'subtable'
      ? t('rt.list.rows', { count: Array.isArray(value) ? value.length : 0 }) : renderValue(f, value, lang)),
  }));

  const onTableChange: TableProps<RecordData>['onChange'] = (pagination, _filters, sorter) => {
    const one = Array.isArray(sorter) ? sorter[0] : sorter;
    const nextSort = one?.order ? `${one.order === 'descend' ? '-' : ''}${String(one.columnKey)}` : '';
    update({ sort: nextSort, page: String(nextSort !== sort ? 1 : pagination.current ?? 1) });
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
  const cardFields = fields.filter((f) => f.key !== definition.title_field).slice(0, 4);

  return (
    <div className="page rt-list" data-testid="record-list">
      <PageHeader
        title={definition.name}
        subtitle={list.data ? t('rt.list.total', { count: total }) : undefined}
        extra={
          <Space wrap>
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
        {narrow ? (
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
            {total > PAGE_SIZE ? (
              <Pagination simple current={page} pageSize={PAGE_SIZE} total={total} className="rt-list__pager"
                onChange={(p) => update({ page: String(p) })} />
            ) : null}
          </>
        ) : (
          <Table<RecordData>
            data-testid="records-table"
            rowKey="id"
            size="middle"
            loading={list.loading}
            columns={columns}
            dataSource={items}
            scroll={{ x: 'max-content' }}
            onChange={onTableChange}
            rowSelection={access.can('delete') ? {
              selectedRowKeys: selected,
              onChange: (keys) => setSelected(keys.map(Number)),
            } : undefined}
            onRow={(record) => ({ onClick: () => update({ record: String(record.id) }), className: 'rt-row-link' })}
            pagination={{ current: page, pageSize: PAGE_SIZE, total, showSizeChanger: false,
              showTotal: (n) => t('rt.list.total', { count: n }) }}
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.list.empty')} /> }}
          />
        )}
      </Card>
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
