/** 共享筛选: each filter's key, label, type, default and the field it compares in each report on the board. */
import { Button, Input, Select, Space, Typography } from 'antd';
import { CloseOutlined, PlusOutlined } from '@ant-design/icons';
import { useFieldLabel } from '../report/FieldPalette';
import { ProblemText } from '../report/problems';
import { useText } from '../text';
import type { AppDraft, Problem } from '../types';
import { newFilter, PRESETS, reportsOf, retype, targetFields } from './filters';
import { FILTER_TYPES, newFilterKey, type DashboardDef, type DashboardFilterDef, type FilterType } from './layout';
import { TEXT } from './text';

interface Props {
  app: AppDraft;
  board: DashboardDef;
  onChange: (next: DashboardDef) => void;
  problems: Problem[];
}

function DefaultInput({ filter, onChange }: { filter: DashboardFilterDef; onChange: (v: string | undefined) => void }) {
  const t = useText(TEXT);
  if (filter.type === 'date_range') {
    return (
      <Select size="small" allowClear style={{ width: 140 }} value={filter.default} placeholder={t('default.none')}
        data-testid={`dashboard-filter-default-${filter.key}`}
        options={PRESETS.map((p) => ({ value: p, label: t(`preset.${p}`) }))} onChange={(v) => onChange(v || undefined)} />
    );
  }
  return (
    <Input size="small" style={{ width: 140 }} value={filter.default ?? ''} placeholder={t('default.none')}
      onChange={(e) => onChange(e.target.value || undefined)} />
  );
}

export function FiltersEditor({ app, board, onChange, problems }: Props) {
  const t = useText(TEXT);
  const label = useFieldLabel();
  const filters = board.filters ?? [];
  const onBoard = [...new Set((board.widgets ?? []).map((w) => w.report))];
  const reportName = (key: string) => reportsOf(app).find((r) => r.key === key)?.name ?? key;
  const set = (index: number, next: DashboardFilterDef) =>
    onChange({ ...board, filters: filters.map((f, i) => (i === index ? next : f)) });
  return (
    <div data-testid="dashboard-filters-editor">
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('filters.help')}</Typography.Paragraph>
      {filters.map((filter, i) => (
        <div key={i} className="report-designer__item" data-testid={`dashboard-filter-${i}`}>
          <Space wrap size={[8, 4]}>
            <Input size="small" style={{ width: 110 }} value={filter.key} title={t('filter.key')}
              onChange={(e) => set(i, { ...filter, key: e.target.value.trim() })} />
            <Input size="small" style={{ width: 120 }} value={filter.label} placeholder={t('filter.label')}
              onChange={(e) => set(i, { ...filter, label: e.target.value })} />
            <Select<FilterType> size="small" style={{ width: 110 }} value={filter.type}
              options={FILTER_TYPES.map((type) => ({ value: type, label: t(`type.${type}`) }))}
              onChange={(type) => set(i, retype(app, filter, type, onBoard))} />
            <DefaultInput filter={filter} onChange={(v) => {
              const next = { ...filter };
              if (v) next.default = v;
              else delete next.default;
              set(i, next);
            }} />
            <Button size="small" type="text" icon={<CloseOutlined />} aria-label={t('filter.remove')}
              onClick={() => onChange({ ...board, filters: filters.filter((_, j) => j !== i) })} />
          </Space>
          <div style={{ margin: '4px 0 0 12px' }}>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('filter.targets')}</Typography.Text>
            <div className="dashboard-designer__targets">
              {onBoard.map((report) => (
                <Space key={report} size={4}>
                  <Typography.Text style={{ width: 130, display: 'inline-block' }} ellipsis>{reportName(report)}</Typography.Text>
                  <Select size="small" style={{ width: 170 }} value={filter.targets[report] ?? ''}
                    data-testid={`dashboard-filter-target-${i}-${report}`}
                    options={[
                      { value: '', label: t('filter.noField') },
                      ...targetFields(app, report, filter.type).map((f) => ({ value: f.path, label: label(f, f.path) })),
                    ]}
                    onChange={(path) => {
                      const targets = { ...filter.targets };
                      if (path) targets[report] = path;
                      else delete targets[report];
                      set(i, { ...filter, targets });
                    }} />
                </Space>
              ))}
            </div>
          </div>
          <ProblemText problems={problems} at={`/filters/${i}`} />
        </div>
      ))}
      <Button size="small" type="link" icon={<PlusOutlined />} data-testid="dashboard-filter-add"
        onClick={() => {
          const key = newFilterKey(board, 'period');
          onChange({ ...board, filters: [...filters, newFilter(app, onBoard, key, t('type.date_range'), 'date_range')] });
        }}>
        {t('filters.add')}
      </Button>
    </div>
  );
}
