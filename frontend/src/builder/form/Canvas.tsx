/**
 * The form as it is being laid out: a card per field on a four-column grid, each as wide as its `width`
 * (or what the runtime form gives its type), in the order of the definition. Cards are sorted by dragging,
 * palette items dropped between them, and a card with problems is outlined in red with the server's words.
 */
import { useDroppable } from '@dnd-kit/core';
import { rectSortingStrategy, SortableContext, useSortable } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { Button, Empty, Tag, Tooltip } from 'antd';
import { CopyOutlined, DeleteOutlined, HolderOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import type { FieldTypeInfo } from '../api';
import { useText } from '../text';
import type { FieldDef, Problem } from '../types';
import { FieldTypeIcon } from './icons';
import { spanOf, typeLabel } from './model';
import { TEXT, type Translate } from './text';

export const CANVAS_ID = 'canvas';
export const fieldId = (key: string) => `field:${key}`;

/** What a card carries while dragged. */
export interface FieldDrag {
  kind: 'field';
  index: number;
}

/** A line under the label telling what the field is set up as: its choices, formula, target, columns … */
const SUMMARIES: Record<string, (f: FieldDef, t: Translate) => string> = {
  select: (f) => optionsText(f), multi_select: (f) => optionsText(f), radio: (f) => optionsText(f),
  formula: (f) => `= ${String(f.expr ?? '')}`,
  relation: (f, t) => t('card.relation', { target: String(f.target ?? '') }),
  lookup: (f) => `${String(f.relation ?? '')}.${String(f.field ?? '')}`,
  rollup: (f) => `${String(f.agg ?? '')}(${String(f.source ?? f.relation ?? '')}${f.field ? `.${String(f.field)}` : ''})`,
  autonumber: (f) => String(f.pattern ?? ''),
  subtable: (f) => (f.fields ?? []).map((c) => c.label || c.key).join(' | '),
  note: (f) => String(f.content ?? ''),
};

/** What the field is set up as, in a line (its choices, formula, target …), or undefined for plain fields. */
export function summaryOf(field: FieldDef, t: Translate): string | undefined {
  return SUMMARIES[field.type]?.(field, t);
}

function optionsText(f: FieldDef): string {
  return (Array.isArray(f.options) ? f.options : [])
    .map((o) => (typeof o === 'string' ? o : String((o as { label?: string; value: string }).label || (o as { value: string }).value)))
    .join(' / ');
}

interface CardProps {
  field: FieldDef;
  index: number;
  info: FieldTypeInfo | undefined;
  selected: boolean;
  problems: Problem[];
  dropBefore: boolean;
  onSelect: () => void;
  onDuplicate: () => void;
  onDelete: () => void;
}

function FieldCard({ field, index, info, selected, problems, dropBefore, onSelect, onDuplicate, onDelete }: CardProps) {
  const t = useText(TEXT);
  const { lang } = useI18n();
  const data: FieldDrag = { kind: 'field', index };
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: fieldId(field.key), data });
  const style = {
    transform: CSS.Translate.toString(transform),
    transition,
    gridColumn: `span ${spanOf(field)}`,
  };
  const layout = field.type === 'divider';
  const classes = ['fd-card', selected && 'selected', problems.length && 'has-problems', isDragging && 'dragging',
    dropBefore && 'drop-before', layout && 'fd-card-divider'].filter(Boolean).join(' ');
  const summary = summaryOf(field, t);
  return (
    <div ref={setNodeRef} style={style} className={classes} data-testid={`fd-field-${field.key}`}
      data-index={index} onClick={onSelect} {...attributes} {...listeners}>
      <div className="fd-card-head">
        <HolderOutlined className="fd-card-grip" />
        {info ? <FieldTypeIcon name={info.icon} /> : null}
        <span className="fd-card-label">
          {field.required ? <span className="fd-required">*</span> : null}
          {field.label || field.key}
        </span>
        <Tag className="fd-card-type">{typeLabel(info, field.type, lang)}</Tag>
        {field.hidden ? <Tag color="default">{t('card.hidden')}</Tag> : null}
        <span className="fd-card-actions">
          <Tooltip title={t('action.duplicate')}>
            <Button type="text" size="small" icon={<CopyOutlined />} aria-label={t('action.duplicate')}
              data-testid={`fd-duplicate-${field.key}`}
              onClick={(e) => { e.stopPropagation(); onDuplicate(); }} />
          </Tooltip>
          <Tooltip title={t('action.delete')}>
            <Button type="text" size="small" danger icon={<DeleteOutlined />} aria-label={t('action.delete')}
              data-testid={`fd-delete-${field.key}`}
              onClick={(e) => { e.stopPropagation(); onDelete(); }} />
          </Tooltip>
        </span>
      </div>
      <div className="fd-card-body">
        <span className="fd-mono fd-card-key">{field.key}</span>
        {summary ? <span className="fd-card-summary">{summary}</span> : null}
      </div>
      {problems.length ? (
        <div className="fd-card-problems" data-testid={`fd-problems-${field.key}`}>
          {problems.map((p, i) => <div key={i}>{p.path !== '/' ? <code>{p.path.slice(1)}</code> : null} {p.message}</div>)}
        </div>
      ) : null}
    </div>
  );
}

export interface CanvasProps {
  fields: FieldDef[];
  types: FieldTypeInfo[];
  selected: string | null;
  problems: Map<number, Problem[]>;
  /** Where a palette item being dragged would land (an index; fields.length for the end), or null. */
  dropIndex: number | null;
  onSelect: (key: string) => void;
  onDuplicate: (index: number) => void;
  onDelete: (index: number) => void;
}

export function Canvas({ fields, types, selected, problems, dropIndex, onSelect, onDuplicate, onDelete }: CanvasProps) {
  const t = useText(TEXT);
  const { setNodeRef, isOver } = useDroppable({ id: CANVAS_ID });
  return (
    <SortableContext items={fields.map((f) => fieldId(f.key))} strategy={rectSortingStrategy}>
      <div ref={setNodeRef} className={`fd-canvas${isOver ? ' over' : ''}`} data-testid="fd-canvas">
        {fields.map((f, i) => (
          <FieldCard key={f.key} field={f} index={i} info={types.find((x) => x.key === f.type)}
            selected={selected === f.key} problems={problems.get(i) ?? []} dropBefore={dropIndex === i}
            onSelect={() => onSelect(f.key)} onDuplicate={() => onDuplicate(i)} onDelete={() => onDelete(i)} />
        ))}
        {fields.length === 0 ? (
          <div className="fd-canvas-empty"><Empty description={t('canvas.empty')} /></div>
        ) : (
          <div className={`fd-canvas-end${dropIndex === fields.length ? ' drop-before' : ''}`}>{t('canvas.dropHere')}</div>
        )}
      </div>
    </SortableContext>
  );
}
