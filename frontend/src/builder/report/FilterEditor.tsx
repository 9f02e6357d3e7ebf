/** 筛选: condition rows (field – operator – value, all met) compiled to the report's `filter`, or a formula. */
import { Alert, Button, Input, Segmented, Select, Space, Typography } from 'antd';
import { CloseOutlined, PlusOutlined } from '@ant-design/icons';
import { useText } from '../text';
import type { FieldDef, Problem } from '../types';
import { useFieldLabel } from './FieldPalette';
import { isUnary, operatorsFor, type FilterRow, type OperatorKey } from './filters';
import type { SourceField } from './model';
import { ProblemText } from './problems';
import { TEXT } from './text';

export type FilterMode = 'rows' | 'formula';

/** A choice field's options as the Select wants them (the format allows plain strings too). */
function optionsOf(field: FieldDef | undefined): { value: string; label: string }[] | null {
  const options = field?.options;
  if (!Array.isArray(options)) return null;
  return options.map((o) => (typeof o === 'string' ? { value: o, label: o } : {
    value: String((o as { value: unknown }).value), label: String((o as { label?: unknown }).label ?? (o as { value: unknown }).value),
  }));
}

/** The value of a row: a choice field's options to pick from (several for 属于), else text. */
function ValueInput({ row, field, index, onChange }: {
  row: FilterRow; field: FieldDef | undefined; index: number; onChange: (value: string) => void;
}) {
  const t = useText(TEXT);
  const options = optionsOf(field);
  if (options && row.op === 'in') {
    const values = row.value.split(',').map((v) => v.trim()).filter(Boolean);
    return (
      <Select size="small" mode="multiple" style={{ minWidth: 160 }} value={values} options={options}
        data-testid={`report-filter-value-${index}`} placeholder={t('filter.value')}
        onChange={(picked: string[]) => onChange(picked.join(', '))} />
    );
  }
  if (options && (row.op === 'eq' || row.op === 'ne')) {
    return (
      <Select size="small" style={{ width: 140 }} value={row.value || undefined} options={options}
        data-testid={`report-filter-value-${index}`} placeholder={t('filter.value')} onChange={onChange} />
    );
  }
  return (
    <Input size="small" style={{ width: 140 }} value={row.value} placeholder={t('filter.value')}
      data-testid={`report-filter-value-${index}`} onChange={(e) => onChange(e.target.value)} />
  );
}

export interface FilterEditorProps {
  mode: FilterMode;
  rows: FilterRow[];
  formula: string;
  /** whether the formula can be shown as rows */
  rowsPossible: boolean;
  fields: SourceField[];
  problems: Problem[];
  onMode: (mode: FilterMode) => void;
  onRows: (rows: FilterRow[]) => void;
  onFormula: (text: string) => void;
}

export function FilterEditor(props: FilterEditorProps) {
  const t = useText(TEXT);
  const label = useFieldLabel();
  const { mode, rows, fields, onRows } = props;
  const fieldOf = (path: string) => fields.find((f) => f.path === path);
  const setRow = (index: number, patch: Partial<FilterRow>) =>
    onRows(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  return (
    <div data-testid="report-filter">
      <Segmented size="small" value={mode} data-testid="report-filter-mode" style={{ marginBottom: 8 }}
        onChange={(v) => props.onMode(v as FilterMode)}
        options={[
          { value: 'rows', label: t('filter.rows'), disabled: !props.rowsPossible },
          { value: 'formula', label: t('filter.formula') },
        ]} />
      {mode === 'formula' ? (
        <>
          {!props.rowsPossible ? <Alert type="info" showIcon title={t('filter.cannotRows')} style={{ marginBottom: 8 }} /> : null}
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} value={props.formula} data-testid="report-filter-formula"
            placeholder={t('filter.formulaHelp')} onChange={(e) => props.onFormula(e.target.value)} />
        </>
      ) : (
        <>
          {rows.length ? <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('filter.and')}</Typography.Text> : null}
          {rows.map((row, i) => {
            const source = fieldOf(row.field);
            const ops = operatorsFor(source?.field);
            return (
              <Space key={i} wrap size={4} className="report-designer__item" data-testid={`report-filter-row-${i}`}>
                <Select size="small" style={{ width: 150 }} value={row.field || undefined} showSearch
                  optionFilterProp="label"
                  options={fields.map((f) => ({ value: f.path, label: label(f, f.path) }))}
                  onChange={(field) => {
                    const allowed = operatorsFor(fieldOf(field)?.field);
                    setRow(i, { field, op: allowed.includes(row.op) ? row.op : allowed[0] });
                  }} />
                <Select<OperatorKey> size="small" style={{ width: 130 }} value={row.op}
                  data-testid={`report-filter-op-${i}`} data-op={row.op}
                  options={ops.map((op) => ({ value: op, label: t(`op.${op}`) }))}
                  onChange={(op) => setRow(i, { op })} />
                {isUnary(row.op) ? null : (
                  <ValueInput row={row} field={source?.field} index={i} onChange={(value) => setRow(i, { value })} />
                )}
                <Button size="small" type="text" icon={<CloseOutlined />} aria-label={t('remove')}
                  onClick={() => onRows(rows.filter((_, j) => j !== i))} />
              </Space>
            );
          })}
          <div>
            <Button size="small" type="link" icon={<PlusOutlined />} data-testid="report-filter-add"
              onClick={() => onRows([...rows, { field: '', op: 'eq', value: '' }])}>
              {t('filter.add')}
            </Button>
          </div>
        </>
      )}
      <ProblemText problems={props.problems} at="/filter" />
    </div>
  );
}
