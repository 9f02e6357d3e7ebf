/**
 * Field – operator – value rows joined by AND / OR, with groups one level deep. Edits the tree; the caller compiles
 * it to the rule's `when` text (conditions.ts).
 */
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Input, InputNumber, Select, Space, Typography } from 'antd';
import type { FieldDef } from '../types';
import {
  blankRow, blankValue, conditionFields, fieldKind, operator, operatorsFor,
  type ConditionGroup, type ConditionRow, type ConditionTree, type FieldKind, type Joiner, type RowValue,
} from './conditions';
import type { RuleT } from './text';
import { named } from '../text';

interface Option {
  value: string;
  label: string;
}

/** A choice field's options, from either shape the format allows ("a" or {value, label}). */
export function fieldOptions(field: FieldDef | undefined): Option[] {
  const raw = Array.isArray(field?.options) ? (field!.options as unknown[]) : [];
  return raw.map((o) => (typeof o === 'string' ? { value: o, label: o } : {
    value: String((o as { value: unknown }).value), label: String((o as { label?: unknown }).label ?? (o as { value: unknown }).value),
  }));
}

export function fieldLabel(field: FieldDef, t: RuleT): string {
  const system: Record<string, 'sys.owner' | 'sys.created_at' | 'sys.updated_at'> = {
    owner: 'sys.owner', created_at: 'sys.created_at', updated_at: 'sys.updated_at',
  };
  if (system[field.key] && !field.label) return t(system[field.key]);
  return field.label ? `${named(field.label, field.key)}` : field.key;
}

interface ValueProps {
  field: FieldDef | undefined;
  row: ConditionRow;
  onChange: (value: RowValue) => void;
  t: RuleT;
  testId: string;
}

/** The value widget for a field kind and operator: options for choices, numbers for numbers, a day count … */
function RowValueInput({ field, row, onChange, t, testId }: ValueProps) {
  const op = operator(row.op);
  const kind: FieldKind = field ? fieldKind(field) ?? 'text' : 'text';
  if (!op || op.value === 'none') return null;
  const options = fieldOptions(field);
  const style = { minWidth: 180 };
  if (op.value === 'days') {
    return (
      <InputNumber data-testid={testId} min={0} value={typeof row.value === 'number' ? row.value : null}
        onChange={(v) => onChange(v ?? 0)} suffix={t('if.days')} />
    );
  }
  if (op.value === 'many') {
    return (
      <Select data-testid={testId} mode={options.length ? 'multiple' : 'tags'} style={style} options={options}
        placeholder={t('if.values')} value={Array.isArray(row.value) ? row.value : []} onChange={(v: string[]) => onChange(v)} />
    );
  }
  if (kind === 'choice' || (kind === 'list' && options.length)) {
    return (
      <Select data-testid={testId} style={style} options={options} showSearch
        value={typeof row.value === 'string' && row.value ? row.value : undefined} onChange={(v: string) => onChange(v)} />
    );
  }
  if (kind === 'bool') {
    return (
      <Select data-testid={testId} style={{ minWidth: 90 }} value={row.value === true}
        options={[{ value: true, label: t('if.yes') }, { value: false, label: t('if.no') }]} onChange={(v: boolean) => onChange(v)} />
    );
  }
  if (kind === 'number' || kind === 'link') {
    return (
      <InputNumber data-testid={testId} style={{ minWidth: 140 }} value={typeof row.value === 'number' ? row.value : null}
        onChange={(v) => onChange(v ?? null)} />
    );
  }
  if (kind === 'person') {
    const current = row.value === 'me' || row.value === null ? 'me' : String(row.value);
    return (
      <Select data-testid={testId} style={style} showSearch value={current}
        options={[{ value: 'me', label: t('if.me') }, ...(current !== 'me' ? [{ value: current, label: t('if.user', { id: current }) }] : [])]}
        onChange={(v: string) => onChange(v === 'me' ? 'me' : Number(v))} />
    );
  }
  if (kind === 'date') {
    return (
      <Input data-testid={testId} type="date" style={{ width: 170 }} value={typeof row.value === 'string' ? row.value : ''}
        onChange={(e) => onChange(e.target.value)} />
    );
  }
  return (
    <Input data-testid={testId} style={style} value={typeof row.value === 'string' ? row.value : ''}
      onChange={(e) => onChange(e.target.value)} />
  );
}

interface RowProps {
  row: ConditionRow;
  fields: FieldDef[];
  onChange: (row: ConditionRow) => void;
  onRemove: () => void;
  t: RuleT;
  testId: string;
}

function ConditionRowEditor({ row, fields, onChange, onRemove, t, testId }: RowProps) {
  const field = fields.find((f) => f.key === row.field);
  const kind = field ? fieldKind(field) : null;
  const ops = kind ? operatorsFor(kind) : [];
  const pickField = (key: string) => onChange(blankRow(fields.find((f) => f.key === key)));
  const pickOp = (key: string) => {
    const op = operator(key)!;
    const previous = operator(row.op);
    // keep the value when the new operator takes the same shape of value
    const keep = previous && previous.value === op.value && kind !== null;
    onChange({ ...row, op: key, value: keep ? row.value : blankValue(op, kind ?? 'text') });
  };
  return (
    <Space wrap data-testid={testId} className="rule-condition-row">
      <Select data-testid={`${testId}-field`} style={{ minWidth: 180 }} showSearch optionFilterProp="label"
        placeholder={t('if.field')} value={row.field || undefined} onChange={pickField}
        options={fields.map((f) => ({ value: f.key, label: fieldLabel(f, t) }))} />
      <Select data-testid={`${testId}-op`} style={{ minWidth: 120 }} value={row.op} onChange={pickOp} disabled={!field}
        options={ops.map((op) => ({ value: op.key, label: t(`op.${op.key}` as Parameters<RuleT>[0]) }))} />
      <RowValueInput field={field} row={row} t={t} testId={`${testId}-value`} onChange={(value) => onChange({ ...row, value })} />
      <Button type="text" aria-label={t('if.remove')} icon={<DeleteOutlined />} onClick={onRemove} data-testid={`${testId}-remove`} />
    </Space>
  );
}

function JoinPicker({ join, onChange, group, t, testId }: { join: Joiner; onChange: (j: Joiner) => void; group?: boolean; t: RuleT; testId: string }) {
  return (
    <Select data-testid={testId} size="small" value={join} onChange={onChange} style={{ minWidth: 130 }}
      options={[
        { value: 'AND', label: t(group ? 'if.groupAll' : 'if.all') },
        { value: 'OR', label: t(group ? 'if.groupAny' : 'if.any') },
      ]} />
  );
}

interface BuilderProps {
  tree: ConditionTree;
  formFields: FieldDef[];
  onChange: (tree: ConditionTree) => void;
  t: RuleT;
}

export function ConditionBuilder({ tree, formFields, onChange, t }: BuilderProps) {
  const fields = conditionFields(formFields);
  const setItem = (index: number, item: ConditionRow | ConditionGroup | null) => {
    const items = [...tree.items];
    if (item === null) items.splice(index, 1);
    else items[index] = item;
    onChange({ ...tree, items });
  };
  const other: Joiner = tree.join === 'AND' ? 'OR' : 'AND';
  return (
    <div data-testid="rule-condition-builder">
      <Space orientation="vertical" style={{ width: '100%' }} size={8}>
        <JoinPicker join={tree.join} t={t} testId="cond-join"
          onChange={(join) => onChange({
            join,
            // groups always join the other way round, so a group flips with the top level
            items: tree.items.map((item) => (item.kind === 'group' ? { ...item, join: join === 'AND' ? 'OR' : 'AND' } : item)),
          })} />
        {tree.items.length === 0 ? <Typography.Text type="secondary">{t('if.empty')}</Typography.Text> : null}
        {tree.items.map((item, i) => item.kind === 'row' ? (
          <ConditionRowEditor key={i} row={item} fields={fields} t={t} testId={`cond-row-${i}`}
            onChange={(row) => setItem(i, row)} onRemove={() => setItem(i, null)} />
        ) : (
          <div key={i} data-testid={`cond-group-${i}`}
            style={{ borderLeft: '3px solid var(--ant-color-primary-border, #91caff)', paddingLeft: 12 }}>
            <Space orientation="vertical" size={6} style={{ width: '100%' }}>
              <Typography.Text type="secondary">{t(item.join === 'AND' ? 'if.groupAll' : 'if.groupAny')}</Typography.Text>
              {item.rows.map((row, j) => (
                <ConditionRowEditor key={j} row={row} fields={fields} t={t} testId={`cond-row-${i}-${j}`}
                  onChange={(next) => setItem(i, { ...item, rows: item.rows.map((r, k) => (k === j ? next : r)) })}
                  onRemove={() => setItem(i, item.rows.length > 1 ? { ...item, rows: item.rows.filter((_, k) => k !== j) } : null)} />
              ))}
              <Button size="small" icon={<PlusOutlined />} data-testid={`cond-group-${i}-add`}
                onClick={() => setItem(i, { ...item, rows: [...item.rows, blankRow(undefined)] })}>
                {t('if.addRow')}
              </Button>
            </Space>
          </div>
        ))}
        <Space>
          <Button icon={<PlusOutlined />} data-testid="cond-add-row"
            onClick={() => onChange({ ...tree, items: [...tree.items, blankRow(undefined)] })}>
            {t('if.addRow')}
          </Button>
          <Button icon={<PlusOutlined />} data-testid="cond-add-group"
            onClick={() => onChange({ ...tree, items: [...tree.items, { kind: 'group', join: other, rows: [blankRow(undefined)] }] })}>
            {t('if.addGroup')}
          </Button>
        </Space>
      </Space>
    </div>
  );
}
