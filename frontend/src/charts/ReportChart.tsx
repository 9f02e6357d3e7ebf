/**
 * Draws a report's `chart` payload: ECharts types from the server-built option, and table, pivot table, KPI card
 * and ranking with antd. Data points, rows and cells the server marked with a drill filter are clickable:
 * `onDrill(filter)` should open the record list filtered by it.
 */
import { Empty, Statistic, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined } from '@ant-design/icons';
import { useI18n, type Lang } from '../i18n';
import { EChart } from './EChart';
import { cellText, formatChange, formatNumber, formatPercent, formatValue } from './format';
import { chartLabel } from './labels';
import { leafColumns, pivotLayout, type PivotColumn, type PivotRow } from './pivot';
import {
  isECharts, type KpiPayload, type ChartPayload, type PivotPayload, type RankingItem, type RankingPayload,
  type TablePayload,
} from './types';

export interface ReportChartProps {
  chart: ChartPayload;
  /** pixels, for drawn charts; tables take the height they need */
  height?: number;
  onDrill?: (filter: string) => void;
}

export function ReportChart({ chart, height = 320, onDrill }: ReportChartProps) {
  const { lang } = useI18n();
  if (isECharts(chart)) {
    return (
      <div className="report-chart">
        <EChart option={chart.option} height={height} onDrill={onDrill} />
        {chart.target !== undefined && (
          <Typography.Text type="secondary">
            {chartLabel(lang, 'target', {
              target: formatNumber(chart.target, lang),
              progress: formatPercent(chart.progress),
            })}
          </Typography.Text>
        )}
      </div>
    );
  }
  switch (chart.type) {
    case 'table':
      return <ChartTable table={chart} lang={lang} onDrill={onDrill} />;
    case 'pivot':
      return <PivotTable pivot={chart} lang={lang} onDrill={onDrill} />;
    case 'kpi':
      return <KpiCard kpi={chart} lang={lang} onDrill={onDrill} />;
    case 'ranking':
      return <RankingList ranking={chart} lang={lang} onDrill={onDrill} />;
    default:
      return (
        <Empty description={chartLabel(lang, 'unsupported', { type: String((chart as { type: unknown }).type) })} />
      );
  }
}

/** Row or cell props that open the records behind it, when the server gave a drill filter. */
function clickable(filter: string | undefined | null, onDrill?: (filter: string) => void) {
  return filter && onDrill ? { onClick: () => onDrill(filter), style: { cursor: 'pointer' } } : {};
}

// the first three places stand out
const MEDALS = ['gold', 'blue', 'orange'];

interface PartProps {
  lang: Lang;
  onDrill?: (filter: string) => void;
}

type TableRow = TablePayload['rows'][number] & { __key: number };

function ChartTable({ table, lang, onDrill }: PartProps & { table: TablePayload }) {
  const numeric = (role: string | null) => role === 'measure' || role === 'metric';
  const columns: TableColumnsType<TableRow> = table.columns.map((column) => ({
    key: column.key,
    title: column.label,
    align: numeric(column.role) ? 'right' : 'left',
    render: (_, row) => cellText(row[column.key], lang, column.format),
  }));
  const totals = table.totals;
  const rows: TableRow[] = table.rows.map((row, index) => ({ ...row, __key: index }));
  return (
    <Table<TableRow>
      size="small"
      columns={columns}
      dataSource={rows}
      rowKey="__key"
      pagination={table.rows.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
      locale={{ emptyText: chartLabel(lang, 'noData') }}
      onRow={(row) => clickable(row._drill, onDrill)}
      summary={
        totals
          ? () => (
              <Table.Summary.Row>
                {table.columns.map((column, i) => (
                  <Table.Summary.Cell key={column.key} index={i} align={numeric(column.role) ? 'right' : 'left'}>
                    {i === 0 && !(column.key in totals)
                      ? chartLabel(lang, 'total')
                      : cellText(totals[column.key], lang, column.format)}
                  </Table.Summary.Cell>
                ))}
              </Table.Summary.Row>
            )
          : undefined
      }
    />
  );
}

function PivotTable({ pivot, lang, onDrill }: PartProps & { pivot: PivotPayload }) {
  const layout = pivotLayout(pivot, lang);
  const toAntd = (column: PivotColumn): TableColumnsType<PivotRow>[number] =>
    column.children
      ? { key: column.key, title: column.title, align: 'center', children: column.children.map(toAntd) }
      : {
          key: column.key,
          title: column.title,
          align: column.numeric ? 'right' : 'left',
          fixed: column.numeric ? undefined : 'left',
          render: (_: unknown, row: PivotRow) => row.cells[column.key] ?? '',
          onCell: (row: PivotRow) => clickable(row.drill[column.key], onDrill),
        };
  const summary = layout.summary;
  return (
    <Table<PivotRow>
      size="small"
      bordered
      columns={layout.columns.map(toAntd)}
      dataSource={layout.rows}
      rowKey="key"
      pagination={false}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: chartLabel(lang, 'noData') }}
      summary={
        summary
          ? () => (
              <Table.Summary.Row>
                {leafColumns(layout.columns).map((column, i) => (
                  <Table.Summary.Cell key={column.key} index={i} align={column.numeric ? 'right' : 'left'}>
                    {summary[column.key] ?? ''}
                  </Table.Summary.Cell>
                ))}
              </Table.Summary.Row>
            )
          : undefined
      }
    />
  );
}

function KpiCard({ kpi, lang, onDrill }: PartProps & { kpi: KpiPayload }) {
  const change = formatChange(kpi.change);
  const against = kpi.previous_period
    ? chartLabel(lang, 'versus', { period: kpi.previous_period })
    : kpi.previous_label
      ? chartLabel(lang, 'versus', { period: kpi.previous_label })
      : chartLabel(lang, 'versusPrevious');
  const drill = kpi.drill;
  return (
    <div
      className="report-chart-kpi"
      onClick={drill && onDrill ? () => onDrill(drill) : undefined}
      style={drill && onDrill ? { cursor: 'pointer' } : undefined}
    >
      <Statistic
        title={kpi.period ? `${kpi.label} · ${kpi.period}` : kpi.label}
        value={kpi.value === null ? '—' : formatValue(kpi.value, lang, kpi.format)}
      />
      {change && (
        <Typography.Text type={kpi.change! > 0 ? 'success' : kpi.change! < 0 ? 'danger' : 'secondary'}>
          {kpi.change! > 0 ? <ArrowUpOutlined /> : kpi.change! < 0 ? <ArrowDownOutlined /> : null} {change}{' '}
          <Typography.Text type="secondary">
            {against} {formatValue(kpi.previous, lang, kpi.format)}
          </Typography.Text>
        </Typography.Text>
      )}
    </div>
  );
}

function RankingList({ ranking, lang, onDrill }: PartProps & { ranking: RankingPayload }) {
  type Row = RankingItem & { key: number };
  const items: Row[] = ranking.items.map((item, index) => ({ ...item, key: index }));
  const columns: TableColumnsType<Row> = [
    {
      key: 'rank',
      title: chartLabel(lang, 'rank'),
      width: 64,
      render: (_, item) => (item.rank === null ? '—' : <Tag color={MEDALS[item.rank - 1]}>{item.rank}</Tag>),
    },
    { key: 'name', title: ranking.name.label, render: (_, item) => item.name },
    {
      key: 'value',
      title: ranking.value.label,
      align: 'right',
      render: (_, item) => formatValue(item.value, lang, ranking.value.format),
    },
    ...ranking.others.map((other) => ({
      key: other.key,
      title: other.label,
      align: 'right' as const,
      render: (_: unknown, item: Row) => formatValue(item.values[other.key], lang, other.format),
    })),
  ];
  return (
    <Table<Row>
      size="small"
      columns={columns}
      dataSource={items}
      rowKey="key"
      pagination={false}
      locale={{ emptyText: chartLabel(lang, 'noData') }}
      onRow={(item) => clickable(item.drill, onDrill)}
    />
  );
}
