import type { FormDef, SectionDesigner } from '../types';
import { FormDesigner } from './FormDesigner';

export { FormulaEditor, type FormulaEditorProps } from './FormulaEditor';

export const formDesigner: SectionDesigner<FormDef> = {
  section: 'forms',
  blank: (_app, key, name) => ({ key, name, fields: [{ key: 'title', type: 'text', label: '标题', required: true }], title_field: 'title' }),
  Designer: FormDesigner,
};
