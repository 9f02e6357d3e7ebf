/** The builder's sections, in menu order; each names its designer. */
import { dashboardDesigner } from './dashboard';
import { flowDesigner } from './flow';
import { formDesigner } from './form';
import { reportDesigner } from './report';
import { roleDesigner } from './roles';
import { ruleDesigner } from './rules';
import type { Item, SectionDesigner } from './types';

export const SECTIONS: SectionDesigner<Item>[] = [
  formDesigner as unknown as SectionDesigner<Item>,
  flowDesigner,
  ruleDesigner,
  reportDesigner,
  dashboardDesigner,
  roleDesigner,
];
