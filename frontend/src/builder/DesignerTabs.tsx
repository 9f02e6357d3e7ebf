/** A designer's two tabs: what it draws, and the item as JSON for what it does not draw. */
import type { ReactNode } from 'react';
import { Tabs } from 'antd';
import { JsonDesigner } from './JsonDesigner';
import type { DesignerProps, Item } from './types';

export function DesignerTabs<T extends Item>({ design, labels, designer }: {
  design: ReactNode;
  /** the tabs' titles, from the designer's own text */
  labels: { design: string; json: string };
  designer: DesignerProps<T>;
}) {
  return (
    <Tabs
      size="small"
      items={[
        { key: 'design', label: labels.design, children: design },
        { key: 'json', label: labels.json, children: <JsonDesigner {...designer} /> },
      ]}
    />
  );
}
