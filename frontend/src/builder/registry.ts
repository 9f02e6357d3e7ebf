/** The builder's sections, in menu order; each names its designer. */
import { dashboardDesigner } from './dashboard';
import { flowDesigner } from './flow';
import { formDesigner } from './form';
import { reportDesigner } from './report';
import { roleDesigner } from './roles';
import { ruleDesigner } from './rules';
import type { Item, SectionDesigner } from './types';

/** Each designer knows its own item shape; the workspace handles them all as plain items. */
const loose = <T extends Item>(designer: SectionDesigner<T>) => designer as unknown as SectionDesigner<Item>;

export const SECTIONS: SectionDesigner<Item>[] = [
  loose(formDesigner),
  loose(flowDesigner),
  loose(ruleDesigner),
  loose(reportDesigner),
  loose(dashboardDesigner),
  loose(roleDesigner),
];
