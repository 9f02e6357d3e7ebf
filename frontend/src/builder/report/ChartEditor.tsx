/** The chart type switch (every type the chart registry knows) and the settings naming the report's columns. */
import { Input, Radio, Select, Space, Typography } from 'antd';
import type { ChartType } from '../../charts';
import { useText } from '../text';
import type { Problem } from '../types';
import { CHART_TYPES, chartPropsOf, setChartProp, switchChart } from './chart';
import { outputs, type ReportDef } from './model';
import { ProblemText } from './problems';
import { TEXT } from './text';

export function ChartEditor({ report, onChange, problems, labels }: {
  report: ReportDef; onChange: (next: ReportDef) => void; problems: Problem[];
  /** output key → what the person calls it (the field's or the measure's label) */
  labels: Record<string, string>;
}) {
  const t = useText(TEXT);
  const chart = report.chart ?? { type: 'table' };
  const { dimensions, values } = outputs(report);
  return (
    <div data-testid="report-chart">
      <Radio.Group
        size="small"
        optionType="button"
        value={chart.type}
        className="report-designer__chart-types"
        onChange={(e) => onChange(switchChart(report, e.target.value as ChartType))}
        options={CHART_TYPES.map((type) => ({
          value: type,
          label: <span data-testid={`report-chart-type-${type}`}>{t(`type.${type}`)}</span>,
        }))}
      />
      <Space wrap size={[12, 6]} style={{ marginTop: 8 }}>
        {chartPropsOf(chart.type).map((spec) => {
          const options = (spec.role === 'dimension' ? dimensions : values).map((k) => ({ value: k, label: labels[k] ?? k }));
          const current = chart[spec.prop];
          return (
            <Space key={spec.prop} size={4}>
              <Typography.Text type="secondary">{t(`prop.${spec.prop}` as 'prop.x')}</Typography.Text>
              <Select
                size="small"
                allowClear
                style={{ minWidth: 120 }}
                data-testid={`report-chart-${spec.prop}`}
                placeholder={t('chart.default')}
                mode={spec.multiple ? 'multiple' : undefined}
                maxCount={spec.most}
                value={(current as string | string[] | undefined) ?? (spec.multiple ? [] : undefined)}
                options={options}
                onChange={(v) => onChange(setChartProp(report, spec.prop, v))}
              />
            </Space>
          );
        })}
        <Input size="small" style={{ width: 180 }} placeholder={t('chart.title')} value={(chart.title as string) ?? ''}
          onChange={(e) => onChange(setChartProp(report, 'title', e.target.value))} />
      </Space>
      <ProblemText problems={problems} at="/chart" />
    </div>
  );
}
