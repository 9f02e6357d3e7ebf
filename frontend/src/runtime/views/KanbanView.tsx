/**
 * Kanban: one column per option of the view's `group_by` (a single-choice field) plus one for records without
 * a value. Dragging a card to another column is an ordinary record update with the card's version, so a card
 * someone changed meanwhile is refused (409) and the board reloads.
 */
import { useEffect, useState } from 'react';
import { App as AntApp, Badge, Card, Typography } from 'antd';
import {
  DndContext, KeyboardSensor, PointerSensor, useDraggable, useDroppable, useSensor, useSensors,
  type DragEndEvent,
} from '@dnd-kit/core';
import { ApiError, runtimeApi, type RecordData } from '../../api';
import { errorMessage } from '../../components/ApiErrorAlert';
import { useI18n } from '../../i18n';
import { fieldLabel, optionList, recordTitle, renderValue } from '../fields';
import { namedFields, recordColors, setting, settingList, tint, type ViewProps } from './model';

const EMPTY = '';

/** Move a record to another column: PATCH with its version. The updated record, or the error (409 = conflict). */
export async function moveRecord(app: string, form: string, record: RecordData, field: string,
  value: string | null): Promise<RecordData> {
  return runtimeApi.updateRecord(app, form, record.id, record.version, { [field]: value });
}

export function KanbanView({ app, view, form, fields, records, scope, onOpen, onChanged, canUpdate }: ViewProps) {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const groupBy = setting(view, 'group_by') ?? '';
  const field = fields.find((f) => f.key === groupBy);
  const shown = namedFields(fields, settingList(view, 'card_fields')).filter((f) => f.key !== groupBy);
  const [items, setItems] = useState(records);
  useEffect(() => setItems(records), [records]);
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }), // a click still opens the card
    useSensor(KeyboardSensor),
  );
  if (!field) return <Typography.Text type="danger">{t('rt.view.missingField', { key: groupBy })}</Typography.Text>;

  const columns = [...optionList(field), { value: EMPTY, label: t('rt.view.noValue') }];
  const onDragEnd = async (event: DragEndEvent) => {
    const record = items.find((r) => String(r.id) === String(event.active.id));
    const target = event.over ? String(event.over.id) : null;
    if (!record || target === null || (record[groupBy] ?? EMPTY) === target) return;
    const value = target === EMPTY ? null : target;
    setItems((all) => all.map((r) => (r.id === record.id ? { ...r, [groupBy]: value } : r)));
    try {
      const saved = await moveRecord(app.key, form.key, record, groupBy, value);
      setItems((all) => all.map((r) => (r.id === saved.id ? saved : r)));
      onChanged();
    } catch (err) {
      message.error(err instanceof ApiError && err.status === 409 ? t('rt.view.conflict') : errorMessage(err, t));
      setItems(records);
      onChanged();
    }
  };

  return (
    <DndContext sensors={sensors} onDragEnd={onDragEnd}>
      <div className="rt-kanban" data-testid="view-kanban">
        {columns.map((column) => {
          const cards = items.filter((r) => String(r[groupBy] ?? EMPTY) === column.value);
          if (column.value === EMPTY && cards.length === 0) return null;
          return (
            <KanbanColumn key={column.value} id={column.value} title={column.label} count={cards.length}>
              {cards.map((record) => (
                <KanbanCard key={record.id} id={record.id} disabled={!canUpdate}
                  color={recordColors(view, record, scope).record}
                  onOpen={() => onOpen(record.id)}>
                  <Typography.Text strong>{recordTitle(form, record, lang)}</Typography.Text>
                  {shown.filter((f) => f.key !== form.title_field).slice(0, 5).map((f) => (
                    <div key={f.key} className="rt-card__line">
                      <Typography.Text type="secondary">{fieldLabel(f)}</Typography.Text>
                      <span className="rt-card__value">{renderValue(f, record[f.key], lang)}</span>
                    </div>
                  ))}
                </KanbanCard>
              ))}
            </KanbanColumn>
          );
        })}
      </div>
    </DndContext>
  );
}

function KanbanColumn({ id, title, count, children }: { id: string; title: string; count: number;
  children: React.ReactNode }) {
  const { setNodeRef, isOver } = useDroppable({ id });
  return (
    <div ref={setNodeRef} className={`rt-kanban__column${isOver ? ' rt-kanban__column--over' : ''}`}
      data-testid="kanban-column" data-value={id}>
      <div className="rt-kanban__head">
        <span>{title}</span>
        <Badge count={count} showZero color="var(--ant-color-text-quaternary, #bfbfbf)" />
      </div>
      <div className="rt-kanban__cards">{children}</div>
    </div>
  );
}

function KanbanCard({ id, disabled, color, onOpen, children }: { id: number; disabled: boolean; color?: string;
  onOpen: () => void; children: React.ReactNode }) {
  const { attributes, listeners, setNodeRef, transform, isDragging } = useDraggable({ id: String(id), disabled });
  const style: React.CSSProperties = {
    transform: transform ? `translate3d(${transform.x}px, ${transform.y}px, 0)` : undefined,
    zIndex: isDragging ? 10 : undefined,
  };
  const paint: React.CSSProperties | undefined = color
    ? { borderInlineStart: `4px solid ${color}`, background: tint(color) } : undefined;
  return (
    <div ref={setNodeRef} style={style} {...listeners} {...attributes} data-testid="kanban-card">
      <Card size="small" hoverable className="rt-kanban__card" style={paint} onClick={onOpen}>{children}</Card>
    </div>
  );
}
