/** The node types by category: drag one onto the canvas, or click to add it below the lowest node. */
import { Typography } from 'antd';
import type { DragEvent } from 'react';
import type { Lang } from '../../i18n';
import { NodeIcon } from './icons';
import { CATEGORY_COLOUR, CATEGORY_ORDER, NODE_TYPES } from './nodeTypes';
import { useFlowText } from './text';
import { nodeLabel } from './nodeText';

export const DND_TYPE = 'application/x-nocode-flow-node';

export function Palette({ lang, onAdd, hasStart }: { lang: Lang; onAdd: (type: string) => void; hasStart: boolean }) {
  const t = useFlowText();
  const startDrag = (event: DragEvent, type: string) => {
    event.dataTransfer.setData(DND_TYPE, type);
    event.dataTransfer.effectAllowed = 'move';
  };
  return (
    <div data-testid="flow-palette" style={{ width: 168, flex: 'none', overflowY: 'auto', padding: 8, borderInlineEnd: '1px solid var(--ant-color-border-secondary, #f0f0f0)' }}>
      <Typography.Text strong>{t('palette.title')}</Typography.Text>
      <div style={{ fontSize: 11, color: '#8c8c8c', marginBottom: 6 }}>{t('palette.hint')}</div>
      {CATEGORY_ORDER.map((category) => (
        <div key={category} style={{ marginBottom: 8 }}>
          <div style={{ fontSize: 11, color: CATEGORY_COLOUR[category], margin: '4px 0' }}>{t(`category.${category}`)}</div>
          {NODE_TYPES.filter((info) => info.category === category && !(info.key === 'start' && hasStart)).map((info) => (
            <div
              key={info.key}
              role="button"
              tabIndex={0}
              draggable
              data-testid={`flow-palette-${info.key}`}
              onDragStart={(e) => startDrag(e, info.key)}
              onClick={() => onAdd(info.key)}
              onKeyDown={(e) => (e.key === 'Enter' ? onAdd(info.key) : undefined)}
              style={{
                display: 'flex', alignItems: 'center', gap: 6, padding: '3px 8px', marginBottom: 3, cursor: 'grab', fontSize: 12,
                border: '1px solid var(--ant-color-border, #d9d9d9)', borderInlineStart: `3px solid ${CATEGORY_COLOUR[category]}`,
                borderRadius: 4, background: 'var(--ant-color-bg-container, #fff)', userSelect: 'none',
              }}
            >
              <span style={{ color: CATEGORY_COLOUR[category] }}><NodeIcon type={info.key} /></span>
              {nodeLabel(info.key, lang)}
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}
