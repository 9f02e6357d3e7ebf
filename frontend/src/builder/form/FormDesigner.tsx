/**
 * The form designer: the palette of field types on the left, the form's fields as cards in the middle (dragged
 * from the palette to a place, sorted by dragging, selected to edit), the selected field's properties — or the
 * form's settings — on the right; linkage rules, a live preview with the runtime's form, and the JSON in tabs.
 */
import { useMemo, useState } from 'react';
import {
  closestCenter, DndContext, DragOverlay, KeyboardSensor, PointerSensor, pointerWithin, useSensor, useSensors,
  type CollisionDetection, type DragEndEvent, type DragOverEvent, type DragStartEvent, type Over,
} from '@dnd-kit/core';
import { sortableKeyboardCoordinates } from '@dnd-kit/sortable';
import { Badge, Button, Skeleton, Tabs } from 'antd';
import { SettingOutlined } from '@ant-design/icons';
import { ApiErrorAlert } from '../../components/ApiErrorAlert';
import { useI18n } from '../../i18n';
import { JsonDesigner } from '../JsonDesigner';
import { useText } from '../text';
import { problemsUnder, type DesignerProps, type FormDef } from '../types';
import { Canvas, CANVAS_ID, type FieldDrag } from './Canvas';
import { FieldTypeIcon } from './icons';
import { FormPreview } from './FormPreview';
import { FormSettings } from './FormSettings';
import { LinkageEditor } from './LinkageEditor';
import {
  blankField, duplicateField, insertField, moveField, problemsByField, removeField, renameField, typeLabel, updateField,
  type LinkageRule,
} from './model';
import { Palette, type PaletteDrag } from './Palette';
import { PropertyPanel } from './PropertyPanel';
import { TEXT } from './text';
import { useFieldTypes } from './useFieldTypes';
import './form.css';

type Drag = PaletteDrag | FieldDrag;

const dragOf = (data: { current?: unknown } | undefined) => data?.current as Drag | undefined;

/** A palette item lands on the card under the pointer (or the canvas); a card sorts against the nearest card. */
const collisions: CollisionDetection = (args) => {
  if (dragOf(args.active.data)?.kind === 'palette') {
    const hits = pointerWithin(args);
    const cards = hits.filter((h) => h.id !== CANVAS_ID);
    return cards.length ? cards : hits;
  }
  return closestCenter({ ...args, droppableContainers: args.droppableContainers.filter((c) => c.id !== CANVAS_ID) });
};

export function FormDesigner({ appKey, app, value, onChange, problems }: DesignerProps<FormDef>) {
  const t = useText(TEXT);
  const { lang } = useI18n();
  const { types, error } = useFieldTypes();
  const [selected, setSelected] = useState<string | null>(null);
  const [dragging, setDragging] = useState<PaletteDrag | null>(null);
  const [dropIndex, setDropIndex] = useState<number | null>(null);
  const sensors = useSensors(
    // a few pixels of movement before a drag starts, so a click still selects or adds
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const byField = useMemo(() => problemsByField(problems), [problems]);
  const selectedIndex = value.fields.findIndex((f) => f.key === selected);
  const linkage = (value.linkage as LinkageRule[] | undefined) ?? [];
  const linkageProblems = problemsUnder(problems, '/linkage');

  if (error) return <ApiErrorAlert error={error} title={t('types.failed')} />;
  if (!types) return <Skeleton active />;

  const add = (type: string, index?: number) => {
    const info = types.find((x) => x.key === type);
    const field = blankField(type, typeLabel(info, type, lang), value, app);
    onChange(insertField(value, field, index));
    setSelected(field.key);
  };

  /** Where a drop over `over` puts a new field: before the card, or at the end of the canvas. */
  const indexAt = (over: Over | null): number | null => {
    if (!over) return null;
    const drag = dragOf(over.data);
    if (drag?.kind === 'field') return drag.index;
    return over.id === CANVAS_ID ? value.fields.length : null;
  };

  const onDragStart = ({ active }: DragStartEvent) => {
    const drag = dragOf(active.data);
    setDragging(drag?.kind === 'palette' ? drag : null);
  };
  const onDragOver = ({ active, over }: DragOverEvent) => {
    if (dragOf(active.data)?.kind === 'palette') setDropIndex(indexAt(over));
  };
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    const drag = dragOf(active.data);
    setDragging(null);
    setDropIndex(null);
    if (drag?.kind === 'palette') {
      const index = indexAt(over);
      if (index !== null) add(drag.type, index);
    } else if (drag?.kind === 'field') {
      const target = dragOf(over?.data);
      if (target?.kind === 'field' && target.index !== drag.index) onChange(moveField(value, drag.index, target.index));
    }
  };
  const cancel = () => {
    setDragging(null);
    setDropIndex(null);
  };

  const field = selectedIndex >= 0 ? value.fields[selectedIndex] : undefined;
  const panel = field ? (
    <>
      <Button size="small" type="link" icon={<SettingOutlined />} onClick={() => setSelected(null)}
        data-testid="fd-form-settings">{t('settings.open')}</Button>
      <PropertyPanel key={selectedIndex} field={field} index={selectedIndex}
        ctx={{ appKey, app, form: value, scope: value.key, siblings: value.fields, types }}
        problems={byField.fields.get(selectedIndex) ?? []}
        onChange={(next) => onChange(updateField(value, selectedIndex, next))}
        onRename={(key) => {
          onChange(renameField(value, selectedIndex, key));
          setSelected(key);
        }} />
    </>
  ) : <FormSettings form={value} problems={byField.form} onChange={onChange} />;

  const draggedInfo = dragging ? types.find((x) => x.key === dragging.type) : undefined;
  const design = (
    <DndContext sensors={sensors} collisionDetection={collisions} onDragStart={onDragStart} onDragOver={onDragOver}
      onDragEnd={onDragEnd} onDragCancel={cancel}>
      <div className="fd-layout">
        <aside className="fd-side"><Palette types={types} onAdd={(type) => add(type)} /></aside>
        <main className="fd-main">
          <Canvas fields={value.fields} types={types} selected={selected} problems={byField.fields}
            dropIndex={dragging ? dropIndex : null} onSelect={setSelected}
            onDuplicate={(i) => {
              const next = duplicateField(value, i);
              onChange(next);
              setSelected(next.fields[i + 1]?.key ?? null);
            }}
            onDelete={(i) => {
              if (value.fields[i]?.key === selected) setSelected(null);
              onChange(removeField(value, i));
            }} />
        </main>
        <aside className="fd-panel" data-testid="fd-panel">{panel}</aside>
      </div>
      <DragOverlay dropAnimation={null}>
        {draggedInfo ? (
          <div className="fd-palette-item fd-overlay"><FieldTypeIcon name={draggedInfo.icon} />
            <span>{typeLabel(draggedInfo, draggedInfo.key, lang)}</span></div>
        ) : null}
      </DragOverlay>
    </DndContext>
  );

  return (
    <Tabs
      className="fd-tabs"
      destroyOnHidden
      items={[
        { key: 'design', label: <span data-testid="fd-tab-design">{t('tab.design')}</span>, children: design },
        {
          key: 'linkage',
          label: <Badge count={linkageProblems.length} size="small" offset={[8, 0]}><span data-testid="fd-tab-linkage">{t('tab.linkage')}</span></Badge>,
          children: (
            <LinkageEditor appKey={appKey} app={app} scope={value.key} fields={value.fields} rules={linkage}
              problems={linkageProblems}
              onChange={(rules) => {
                const next: FormDef = { ...value, linkage: rules };
                if (!rules.length) delete next.linkage;
                onChange(next);
              }} />
          ),
        },
        { key: 'preview', label: <span data-testid="fd-tab-preview">{t('tab.preview')}</span>, children: <FormPreview app={app} form={value} /> },
        {
          key: 'json', label: <span data-testid="fd-tab-json">{t('tab.json')}</span>,
          children: <JsonDesigner appKey={appKey} app={app} value={value} onChange={onChange} problems={problems} />,
        },
      ]}
    />
  );
}
