/**
 * The field types to build with, grouped (basic, choice, date, relation, computed, advanced, layout) and named
 * as the server names them in the person's language. Each can be dragged onto the canvas, or clicked to append.
 */
import { useDraggable } from '@dnd-kit/core';
import { Typography } from 'antd';
import { useI18n } from '../../i18n';
import type { FieldTypeInfo } from '../api';
import { useText } from '../text';
import { FieldTypeIcon } from './icons';
import { paletteGroups, typeLabel } from './model';
import { TEXT } from './text';

/** What a palette item carries while dragged; the canvas reads it on drop. */
export interface PaletteDrag {
  kind: 'palette';
  type: string;
}

export const paletteId = (type: string) => `palette:${type}`;

function PaletteItem({ info, onAdd }: { info: FieldTypeInfo; onAdd: (type: string) => void }) {
  const { lang } = useI18n();
  const data: PaletteDrag = { kind: 'palette', type: info.key };
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: paletteId(info.key), data });
  return (
    <button type="button" ref={setNodeRef} {...attributes} {...listeners}
      className={`fd-palette-item${isDragging ? ' dragging' : ''}`} data-testid={`fd-palette-${info.key}`}
      onClick={() => onAdd(info.key)}>
      <FieldTypeIcon name={info.icon} />
      <span>{typeLabel(info, info.key, lang)}</span>
    </button>
  );
}

export function Palette({ types, onAdd }: { types: FieldTypeInfo[]; onAdd: (type: string) => void }) {
  const t = useText(TEXT);
  return (
    <div className="fd-palette" data-testid="fd-palette">
      <Typography.Text type="secondary" className="fd-hint">{t('palette.hint')}</Typography.Text>
      {paletteGroups(types).map(({ group, types: members }) => (
        <section key={group} className="fd-palette-group">
          <div className="fd-palette-heading">{t(`group.${group}`)}</div>
          <div className="fd-palette-grid">
            {members.map((info) => <PaletteItem key={info.key} info={info} onAdd={onAdd} />)}
          </div>
        </section>
      ))}
    </div>
  );
}
