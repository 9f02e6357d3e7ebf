import { JsonDesigner } from '../JsonDesigner';
import type { Item, SectionDesigner } from '../types';

export const roleDesigner: SectionDesigner = {
  section: 'roles',
  blank: (_app, key, name): Item => ({ key, name, permissions: [] }),
  Designer: JsonDesigner,
};
