import type { Item, SectionDesigner } from '../types';
import { FlowDesigner } from './FlowDesigner';

export const flowDesigner: SectionDesigner = {
  section: 'flows',
  blank: (app, key, name): Item => ({
    key,
    name,
    trigger: { type: 'manual', form: app.forms[0]?.key ?? '' },
    nodes: [
      { id: 'start', type: 'start', position: { x: -70, y: 0 } },
      { id: 'end', type: 'end', position: { x: -70, y: 260 } },
    ],
    edges: [{ from: 'start', to: 'end' }],
  }),
  Designer: FlowDesigner as unknown as SectionDesigner['Designer'],
};
