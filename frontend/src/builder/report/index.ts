import { JsonDesigner } from '../JsonDesigner';
import type { Item, SectionDesigner } from '../types';

export const reportDesigner: SectionDesigner = {
  section: 'reports',
  blank: (app, key, name): Item => ({
    key,
    name,
    source: app.forms[0]?.key ?? '',
    dimensions: [],
    measures: [{ agg: 'count', as: 'count' }],
    chart: { type: 'table' },
  }),
  Designer: JsonDesigner,
};
