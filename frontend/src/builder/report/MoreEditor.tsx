/** Calculated metrics (formulas over the measures), sort, limit and the totals row. */
import { Button, Input, InputNumber, Select, Space, Switch, Typography } from 'antd';
import { CloseOutlined, PlusOutlined } from '@ant-design/icons';
import { useText } from '../text';
import type { Problem } from '../types';
import { outputs, removeAt, renameOutput, uniqueAs, type MetricDef, type ReportDef, type SortDef } from './model';
import { ProblemText } from './problems';
import { TEXT } from './text';

interface Props {
  report: ReportDef;
  onChange: (next: ReportDef) => void;
  problems: Problem[];
}

export function MetricsEditor({ report, onChange, problems }: Props) {
  const t = useText(TEXT);
  const metrics = report.metrics ?? [];
  const set = (index: number, patch: Partial<MetricDef>) => {
    const old = metrics[index];
    const next = metrics.map((m, i) => (i === index ? { ...m, ...patch } : m));
    const changed = { ...report, metrics: next };
    onChange(patch.as !== undefined ? renameOutput(changed, old.as, patch.as) : changed);
  };
  return (
    <div data-testid="report-metrics">
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('metrics.help')}</Typography.Text>
      {metrics.map((m, i) => (
        <div key={i} className="report-designer__item" data-testid={`report-metric-${i}`}>
          <Space wrap size={4}>
            <Input size="small" style={{ width: 130 }} value={m.as} prefix={<span className="report-designer__as">as</span>}
              onChange={(e) => set(i, { as: e.target.value.trim() })} />
            <Input size="small" style={{ width: 260 }} value={m.expr} placeholder={t('metrics.expr')}
              data-testid={`report-metric-expr-${i}`} onChange={(e) => set(i, { expr: e.target.value })} />
            <Button size="small" type="text" icon={<CloseOutlined />} aria-label={t('remove')}
              onClick={() => onChange(removeAt(report, 'metrics', i))} />
          </Space>
          <ProblemText problems={problems} at={`/metrics/${i}`} />
        </div>
      ))}
      <Button size="small" type="link" icon={<PlusOutlined />} data-testid="report-metric-add"
        onClick={() => {
          const values = outputs(report).values;
          const expr = values.length >= 2 ? `${values[0]} / ${values[1]}` : values[0] ?? '';
          onChange({ ...report, metrics: [...metrics, { as: uniqueAs(report, 'metric'), expr: expr || '0' }] });
        }}>
        {t('metrics.add')}
      </Button>
    </div>
  );
}

export function SortLimitEditor({ report, onChange, problems }: Props) {
  const t = useText(TEXT);
  const sort = report.sort ?? [];
  const { dimensions, values } = outputs(report);
  const columns = [...dimensions, ...values];
  const set = (index: number, patch: Partial<SortDef>) =>
    onChange({ ...report, sort: sort.map((s, i) => (i === index ? { ...s, ...patch } : s)) });
  return (
    <div data-testid="report-sort">
      {sort.map((s, i) => (
        <div key={i} className="report-designer__item">
          <Space size={4}>
            <Select size="small" style={{ width: 150 }} value={s.by} options={columns.map((c) => ({ value: c, label: c }))}
              onChange={(by) => set(i, { by })} />
            <Select size="small" style={{ width: 90 }} value={s.desc ? 'desc' : 'asc'}
              options={[{ value: 'desc', label: t('sort.desc') }, { value: 'asc', label: t('sort.asc') }]}
              onChange={(v) => set(i, { desc: v === 'desc' })} />
            <Button size="small" type="text" icon={<CloseOutlined />} aria-label={t('remove')}
              onClick={() => onChange(removeAt(report, 'sort', i))} />
          </Space>
          <ProblemText problems={problems} at={`/sort/${i}`} />
        </div>
      ))}
      <Space wrap size={[16, 6]}>
        <Button size="small" type="link" icon={<PlusOutlined />} disabled={!columns.length} data-testid="report-sort-add"
          onClick={() => onChange({ ...report, sort: [...sort, { by: values[0] ?? columns[0], desc: true }] })}>
          {t('sort.add')}
        </Button>
        <Space size={4}>
          <Typography.Text type="secondary">{t('limit')}</Typography.Text>
          <InputNumber size="small" min={1} max={10000} value={report.limit ?? null} data-testid="report-limit"
            onChange={(v) => {
              const next = { ...report };
              if (typeof v === 'number') next.limit = v;
              else delete next.limit;
              onChange(next);
            }} />
        </Space>
        <Space size={4}>
          <Typography.Text type="secondary">{t('totals')}</Typography.Text>
          <Switch size="small" checked={Boolean(report.totals)} onChange={(on) => {
            const next = { ...report };
            if (on) next.totals = true;
            else delete next.totals;
            onChange(next);
          }} />
        </Space>
      </Space>
      <ProblemText problems={problems} at="/limit" />
    </div>
  );
}
