import { JsonDesigner } from '../JsonDesigner';
import type { Item, SectionDesigner } from '../types';

export const flowDesigner: SectionDesigner = {
  section: 'flows',
  blank: (app, key, name): Item => ({
    key,
    name,
    trigger: { type: 'manual', form: app.forms[0]?.key ?? '' },
    nodes: [{ id: 'start', type: 'start' }, { id: 'end', type: 'end' }],
    edges: [{ from: 'start', to: 'end' }],
  }),
  Designer: JsonDesigner,
};
