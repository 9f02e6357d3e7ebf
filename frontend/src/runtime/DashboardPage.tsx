/**
 * A dashboard: its report widgets on a 24-column grid (one column on a phone), drawn by ReportChart, under the
 * shared filters (date range, relation, member, select, text) kept in the URL; a chart point's drill filter
 * opens the records of the report's source form behind it.
 */
import { useEffect, useState } from 'react';
import { Alert, Card, DatePicker, Empty, Grid, Input, Select, Skeleton, Space, Typography } from 'antd';
import dayjs from 'dayjs';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { runtimeApi, type AppDefinition, type DashboardFilter, type DashboardWidget, type RecordData } from '../api';
import { ReportChart } from '../charts';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { PageHeader } from '../components/PageHeader';
import { useI18n } from '../i18n';
import { useAsync } from '../useAsync';
import { findForm, useRuntime } from './context';
import { fieldsOf, optionList, recordTitle, type FieldDef } from './fields';

const ROW_PX = 56;
const GAP_PX = 16;
// the server's relative date ranges (engines/report/dashboards.py PRESETS)
const PRESETS = ['today', 'yesterday', 'this_week', 'last_week', 'last_7_days', 'last_30_days', 'this_month',
  'last_month', 'last_6_months', 'last_12_months', 'this_quarter', 'last_quarter', 'this_year', 'last_year'] as const;

interface ReportDef {
  key: string;
  name?: string;
  source: string;
}

function reportsOf(app: AppDefinition): ReportDef[] {
  return (app.reports as ReportDef[] | undefined) ?? [];
}

/** The field a shared filter reads: the first target's path, followed from its report's source form. */
export function filterField(app: AppDefinition, filter: DashboardFilter): FieldDef | undefined {
  const [report, path] = Object.entries(filter.targets)[0] ?? [];
  let form = findForm(app, reportsOf(app).find((r) => r.key === report)?.source);
  let field: FieldDef | undefined;
  for (const step of (path ?? '').split('.')) {
    field = fieldsOf(form).find((f) => f.key === step);
    form = findForm(app, field?.target);
  }
  return field;
}

interface FilterProps {
  value?: string;
  onChange: (v: string) => void;
}

function RelationFilter({ target, value, onChange }: FilterProps & { target: string }) {
  const { app } = useRuntime();
  const { lang } = useI18n();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<RecordData[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    runtimeApi.listRecords(app.key, target, { q: q || undefined, page_size: 20 }, controller.signal)
      .then((page) => setFound(page.items)).catch(() => undefined);
    return () => controller.abort();
  }, [app.key, target, q]);
  const form = findForm(app, target);
  return (
    <Select allowClear showSearch={{ filterOption: false, onSearch: setQ }} className="rt-filter__select"
      value={value ? Number(value) : undefined}
      options={found.map((r) => ({ value: r.id, label: recordTitle(form, r, lang) }))}
      onChange={(v) => onChange(v === undefined || v === null ? '' : String(v))} />
  );
}

function FilterInput({ filter, value, onChange }: FilterProps & { filter: DashboardFilter }) {
  const { app } = useRuntime();
  const { t } = useI18n();
  const field = filterField(app, filter);
  if (filter.type === 'date_range') {
    const [from, to] = value && value.includes('..') ? value.split('..') : [];
    const preset = PRESETS.find((p) => p === value);
    return (
      <Space.Compact data-testid={`filter-${filter.key}`}>
        <Select allowClear className="rt-filter__preset" placeholder={t('rt.dashboard.preset')} value={preset}
          options={PRESETS.map((p) => ({ value: p, label: t(`rt.preset.${p}`) }))}
          onChange={(v) => onChange(v ?? '')} />
        <DatePicker.RangePicker
          value={from && to ? [dayjs(from), dayjs(to)] : null}
          onChange={(range) => onChange(range && range[0] && range[1]
            ? `${range[0].format('YYYY-MM-DD')}..${range[1].format('YYYY-MM-DD')}` : '')}
        />
      </Space.Compact>
    );
  }
  if (filter.type === 'relation' && field?.target) {
    return <RelationFilter target={field.target} value={value} onChange={onChange} />;
  }
  if (filter.type === 'select' && field) {
    return <Select allowClear className="rt-filter__select" data-testid={`filter-${filter.key}`}
      value={value || undefined} options={optionList(field)}
      onChange={(v) => onChange(v ?? '')} />;
  }
  return <Input.Search allowClear defaultValue={value} onSearch={onChange} className="rt-filter__select" />;
}

export function DashboardPage() {
  const { dashboard: key = '' } = useParams();
  const { app } = useRuntime();
  const { t } = useI18n();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const narrow = screens.md === false;
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(params.entries());
  const loaded = useAsync((signal) => runtimeApi.dashboard(app.key, key, values, signal),
    [app.key, key, params.toString()]);
  const board = loaded.data;

  const setValue = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    next.set(name, value); // an empty value means "no filter" (not the default)
    setParams(next);
  };
  const drill = (widget: DashboardWidget, filter: string) => {
    // a report over sub-table rows (order.lines) drills into the records they belong to: the server names the form
    const source = widget.data?.report.drill_form ?? reportsOf(app).find((r) => r.key === widget.report)?.source;
    if (!source) return;
    const list = `/apps/${encodeURIComponent(app.key)}/forms/${encodeURIComponent(source)}`;
    navigate(`${list}?filter=${encodeURIComponent(filter)}`);
  };

  if (loaded.error && !board) return <div className="page"><ApiErrorAlert error={loaded.error} /></div>;
  if (!board) return <div className="page"><Card><Skeleton active paragraph={{ rows: 8 }} /></Card></div>;
  const widgets = [...board.widgets].sort((a, b) => a.y - b.y || a.x - b.x);
  return (
    <div className="page rt-dashboard" data-testid="dashboard">
      <PageHeader title={board.name} subtitle={board.description ?? undefined} />
      {board.filters.length ? (
        <Card size="small" className="section-card rt-filters" data-testid="dashboard-filters">
          <Space wrap size={[16, 8]}>
            {board.filters.map((filter) => (
              <Space key={filter.key} size={6}>
                <Typography.Text type="secondary">{filter.label}</Typography.Text>
                <FilterInput filter={filter}
                  value={params.has(filter.key) ? values[filter.key] : filter.default ?? undefined}
                  onChange={(v) => setValue(filter.key, v)} />
              </Space>
            ))}
          </Space>
        </Card>
      ) : null}
      {widgets.length === 0 ? <Empty description={t('rt.dashboard.empty')} /> : null}
      <div className={narrow ? 'rt-grid rt-grid--stacked' : 'rt-grid'} style={{ opacity: loaded.loading ? 0.6 : 1 }}>
        {widgets.map((widget) => {
          // the card spans h rows and the gaps between them; the chart gets it less the card's title and padding
          const height = narrow ? 320 : Math.max(widget.h * ROW_PX + (widget.h - 1) * GAP_PX - 64, 160);
          const name = widget.data?.report.name ?? reportsOf(app).find((r) => r.key === widget.report)?.name
            ?? widget.report;
          return (
            <Card
              key={`${widget.report}-${widget.x}-${widget.y}`}
              size="small"
              title={name}
              className="rt-widget"
              data-testid="dashboard-widget"
              style={narrow ? undefined : {
                gridColumn: `${widget.x + 1} / span ${widget.w}`, gridRow: `${widget.y + 1} / span ${widget.h}`,
              }}
            >
              {widget.error ? (
                <Alert type="warning" showIcon title={t('rt.dashboard.widgetError', { code: widget.error.code })} />
              ) : widget.data ? (
                <ReportChart chart={widget.data.chart} height={height} onDrill={(f) => drill(widget, f)} />
              ) : null}
            </Card>
          );
        })}
      </div>
    </div>
  );
}
