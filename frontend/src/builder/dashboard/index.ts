import { JsonDesigner } from '../JsonDesigner';
import type { Item, SectionDesigner } from '../types';

export const dashboardDesigner: SectionDesigner = {
  section: 'dashboards',
  blank: (_app, key, name): Item => ({ key, name, widgets: [] }),
  Designer: JsonDesigner,
};
