/**
 * The columns of a sub-table: a nested list of fields, each opened into the same property panel as a form's
 * field, with its formulas scoped to the row ("order.lines"). Columns are added from the types a row may hold.
 */
import { useState } from 'react';
import { Button, Collapse, Select, Space, Tag } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, CopyOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { useText } from '../text';
import { problemsUnder, type FieldDef } from '../types';
import { blankField, moveItem, nextFieldKey, typeLabel } from './model';
import { PropertyPanel } from './PropertyPanel';
import type { PropEditorProps } from './propertyEditors';
import { TEXT } from './text';

export function SubtableFieldsEditor({ field, value, onChange, ctx, problems }: PropEditorProps) {
  const t = useText(TEXT);
  const { lang } = useI18n();
  const columns = (Array.isArray(value) ? value : []) as FieldDef[];
  const rowTypes = ctx.types.filter((x) => x.in_subtable);
  const [adding, setAdding] = useState<string>('text');
  const [open, setOpen] = useState<string[]>([]);
  const scope = `${ctx.scope}.${field.key}`;
  const rowCtx = { ...ctx, scope, siblings: columns };

  const add = () => {
    const info = rowTypes.find((x) => x.key === adding);
    const column = blankField(adding, typeLabel(info, adding, lang), { ...ctx.form, fields: columns }, ctx.app, columns);
    onChange([...columns, column]);
    setOpen([column.key]);
  };
  const replace = (i: number, next: FieldDef) => onChange(columns.map((c, j) => (j === i ? next : c)));

  const items = columns.map((column, i) => {
    const info = ctx.types.find((x) => x.key === column.type);
    const mine = problemsUnder(problems, `/${i}`);
    return {
      key: column.key,
      label: (
        <span className={mine.length ? 'fd-sub-error' : undefined} data-testid={`subfield-${column.key}`}>
          {column.label || column.key} <Tag>{typeLabel(info, column.type, lang)}</Tag>
          {mine.length ? <Tag color="red">{mine.length}</Tag> : null}
        </span>
      ),
      extra: (
        <Space size={0} onClick={(e) => e.stopPropagation()}>
          <Button type="text" size="small" icon={<ArrowUpOutlined />} disabled={i === 0} aria-label={t('action.up')}
            onClick={() => onChange(moveItem(columns, i, i - 1))} />
          <Button type="text" size="small" icon={<ArrowDownOutlined />} disabled={i === columns.length - 1}
            aria-label={t('action.down')} onClick={() => onChange(moveItem(columns, i, i + 1))} />
          <Button type="text" size="small" icon={<CopyOutlined />} aria-label={t('action.duplicate')}
            onClick={() => onChange([...columns.slice(0, i + 1), { ...structuredClone(column), key: nextFieldKey(columns) }, ...columns.slice(i + 1)])} />
          <Button type="text" size="small" danger icon={<DeleteOutlined />} aria-label={t('action.delete')}
            onClick={() => onChange(columns.filter((_, j) => j !== i))} />
        </Space>
      ),
      children: (
        <PropertyPanel field={column} index={i} ctx={rowCtx} problems={mine}
          onChange={(next) => replace(i, next)}
          onRename={(key) => {
            replace(i, { ...column, key });
            setOpen((keys) => keys.map((k) => (k === column.key ? key : k)));
          }} />
      ),
    };
  });

  return (
    <div className="fd-subfields" data-testid="subtable-fields">
      <Collapse size="small" items={items} activeKey={open} onChange={(keys) => setOpen(keys as string[])} />
      <Space.Compact block style={{ marginTop: 8 }}>
        <Select style={{ flex: 1 }} value={adding} showSearch={{ optionFilterProp: 'label' }} data-testid="subfield-type"
          options={rowTypes.map((x) => ({ value: x.key, label: typeLabel(x, x.key, lang) }))} onChange={setAdding} />
        <Button icon={<PlusOutlined />} onClick={add} data-testid="subfield-add">{t('sub.add')}</Button>
      </Space.Compact>
    </div>
  );
}
