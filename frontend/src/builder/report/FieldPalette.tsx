/** The source's fields, each dragged (dnd-kit) to a zone or added with its + menu. */
import { useState } from 'react';
import { useDraggable } from '@dnd-kit/core';
import { Button, Dropdown, Empty, Input, Tag, Typography } from 'antd';
import { HolderOutlined, PlusOutlined } from '@ant-design/icons';
import { useText } from '../text';
import { fieldLabel, type SourceField } from './model';
import { TEXT } from './text';

export type Zone = 'dimensions' | 'measures' | 'filters';
export const ZONES: Zone[] = ['dimensions', 'measures', 'filters'];
export const dragId = (path: string) => `field:${path}`;
export const dropId = (zone: Zone) => `zone:${zone}`;

export function useFieldLabel() {
  const t = useText(TEXT);
  return (source: SourceField | undefined, fallback: string) =>
    fieldLabel(source, fallback, (key) => t(`system.${key}` as 'system.owner'));
}

function FieldItem({ source, onAdd }: { source: SourceField; onAdd: (zone: Zone, source: SourceField) => void }) {
  const t = useText(TEXT);
  const label = useFieldLabel();
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: dragId(source.path), data: { source } });
  return (
    <div
      ref={setNodeRef}
      className="report-designer__field"
      data-testid={`report-field-${source.path}`}
      style={{ opacity: isDragging ? 0.4 : 1 }}
      {...attributes}
      {...listeners}
    >
      <HolderOutlined className="report-designer__grip" />
      <span className="report-designer__field-label">{label(source, source.path)}</span>
      <Tag variant="filled" className="report-designer__field-type">{source.field.type}</Tag>
      <Dropdown
        trigger={['click']}
        menu={{
          items: [
            { key: 'dimensions', label: t('add.dimension') },
            { key: 'measures', label: t('add.measure') },
            { key: 'filters', label: t('add.filter') },
          ],
          onClick: ({ key }) => onAdd(key as Zone, source),
        }}
      >
        <Button
          size="small"
          type="text"
          icon={<PlusOutlined />}
          data-testid={`report-field-add-${source.path}`}
          aria-label={t('add.dimension')}
          // a click on + is not the start of a drag
          onPointerDown={(e) => e.stopPropagation()}
        />
      </Dropdown>
    </div>
  );
}

export function FieldPalette({ fields, onAdd }: { fields: SourceField[]; onAdd: (zone: Zone, source: SourceField) => void }) {
  const t = useText(TEXT);
  const label = useFieldLabel();
  const [query, setQuery] = useState('');
  const q = query.trim().toLowerCase();
  const shown = q
    ? fields.filter((f) => f.path.includes(q) || label(f, f.path).toLowerCase().includes(q))
    : fields;
  return (
    <div className="report-designer__palette" data-testid="report-fields">
      <Typography.Text strong>{t('fields')}</Typography.Text>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: '4px 0 8px' }}>
        {t('fields.hint')}
      </Typography.Paragraph>
      <Input.Search allowClear size="small" placeholder={t('fields.search')} value={query}
        onChange={(e) => setQuery(e.target.value)} style={{ marginBottom: 8 }} />
      {shown.length === 0 ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('fields.empty')} /> : null}
      {shown.map((source) => <FieldItem key={source.path} source={source} onAdd={onAdd} />)}
    </div>
  );
}
