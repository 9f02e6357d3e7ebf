/** The live preview: the report's chart drawn by ReportChart, or its result rows as a table. */
import { useState } from 'react';
import { Empty, Segmented, Space, Spin, Table, Typography } from 'antd';
import { ReportChart } from '../../charts';
import { cellText } from '../../charts/format';
import type { CellValue } from '../../charts/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert';
import { useI18n } from '../../i18n';
import { useText } from '../text';
import type { ReportAnswer } from './api';
import { TEXT } from './text';
import type { PreviewState } from './usePreview';

export function AnswerTable({ answer }: { answer: ReportAnswer }) {
  const { lang } = useI18n();
  const rows: Array<Record<string, CellValue> & { __key: number }> = answer.rows.map((row, index) => ({ ...row, __key: index }));
  return (
    <Table
      size="small"
      data-testid="report-preview-table"
      rowKey="__key"
      dataSource={rows}
      pagination={rows.length > 20 ? { pageSize: 20, showSizeChanger: false } : false}
      scroll={{ x: 'max-content' }}
      columns={answer.columns.map((c) => ({
        key: c.key,
        title: c.label,
        align: c.role === 'dimension' ? 'left' : 'right',
        render: (_: unknown, row: (typeof rows)[number]) => cellText(row[c.key], lang),
      }))}
    />
  );
}

/** An answer drawn as its chart (or as a table when asked, or when the report has no chart). */
export function AnswerView({ answer, mode, height }: { answer: ReportAnswer; mode: 'chart' | 'data'; height: number }) {
  if (mode === 'data' || !answer.chart) return <AnswerTable answer={answer} />;
  return (
    <div data-testid="report-preview-chart" data-categories={categoriesOf(answer)}>
      <ReportChart chart={answer.chart} height={height} />
    </div>
  );
}

/** The first dimension's values in row order, for people and tests checking what the chart shows. */
function categoriesOf(answer: ReportAnswer): string {
  const first = answer.columns.find((c) => c.role === 'dimension');
  if (!first) return '';
  return answer.rows.map((row) => cellText(row[first.key], 'zh-CN')).join('|');
}

export function PreviewPanel({ state, empty }: { state: PreviewState; empty: boolean }) {
  const t = useText(TEXT);
  const [mode, setMode] = useState<'chart' | 'data'>('chart');
  const { answer, error, problems, loading } = state;
  return (
    <div className="report-designer__preview" data-testid="report-preview" data-loading={loading ? 'true' : 'false'}>
      <Space style={{ justifyContent: 'space-between', width: '100%', marginBottom: 8 }}>
        <Space>
          <Typography.Text strong>{t('preview')}</Typography.Text>
          <Typography.Text type="secondary">{t('preview.note')}</Typography.Text>
          {loading ? <Spin size="small" /> : null}
          {answer ? <Typography.Text type="secondary">{t('preview.rows', { count: String(answer.rows.length) })}</Typography.Text> : null}
        </Space>
        <Segmented
          data-testid="report-preview-mode"
          size="small"
          value={mode}
          onChange={(v) => setMode(v as 'chart' | 'data')}
          options={[
            { value: 'chart', label: t('preview.chart') },
            { value: 'data', label: t('preview.data') },
          ]}
        />
      </Space>
      {error && !problems.length ? <ApiErrorAlert error={error} testId="report-preview-error" /> : null}
      {empty ? (
        <Empty description={t('preview.empty')} />
      ) : answer ? (
        <div style={{ opacity: loading || problems.length ? 0.5 : 1 }}>
          <AnswerView answer={answer} mode={mode} height={340} />
        </div>
      ) : null}
    </div>
  );
}
