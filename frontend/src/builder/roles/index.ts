import type { SectionDesigner } from '../types';
import { RoleDesigner, type RoleItem } from './RoleDesigner';

export const roleDesigner: SectionDesigner<RoleItem> = {
  section: 'roles',
  blank: (_app, key, name): RoleItem => ({ key, name, permissions: [] }),
  Designer: RoleDesigner,
};
