import { JsonDesigner } from '../JsonDesigner';
import type { Item, SectionDesigner } from '../types';

export const ruleDesigner: SectionDesigner = {
  section: 'rules',
  blank: (app, key, name): Item => ({ key, name, form: app.forms[0]?.key ?? '', on: ['created', 'updated'], when: 'TRUE', then: [] }),
  Designer: JsonDesigner,
};
