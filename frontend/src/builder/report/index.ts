import type { SectionDesigner } from '../types';
import type { ReportDef } from './model';
import { ReportDesigner } from './ReportDesigner';

export const reportDesigner: SectionDesigner = {
  section: 'reports',
  // the first form's records, counted, as a table: valid as it stands and drawn at once
  blank: (app, key, name): ReportDef => ({
    key,
    name,
    source: app.forms[0]?.key ?? '',
    dimensions: [],
    measures: [{ agg: 'count', as: 'count' }],
    chart: { type: 'table' },
  }),
  // the workspace hands every designer an Item; a report's is a ReportDef (blank above, the server's check after)
  Designer: ReportDesigner as unknown as SectionDesigner['Designer'],
};
