import type { SectionDesigner } from '../types';
import { RuleDesigner, type RuleItem } from './RuleDesigner';

export const ruleDesigner: SectionDesigner<RuleItem> = {
  section: 'rules',
  // no `when`: a new rule holds for every record until conditions are added (and opens in the condition builder)
  blank: (app, key, name): RuleItem => ({ key, name, form: app.forms[0]?.key ?? '', on: ['created', 'updated'], then: [] }),
  Designer: RuleDesigner,
};
