import type { SectionDesigner } from '../types';
import { DashboardDesigner } from './DashboardDesigner';
import type { DashboardDef } from './layout';

export const dashboardDesigner: SectionDesigner = {
  section: 'dashboards',
  blank: (_app, key, name): DashboardDef => ({ key, name, widgets: [] }),
  // the workspace hands every designer an Item; a dashboard's is a DashboardDef (blank above, the server's check after)
  Designer: DashboardDesigner as unknown as SectionDesigner['Designer'],
};
