import { textNow } from '../text';
import type { FormDef, SectionDesigner } from '../types';
import { TEXT } from './text';
import { FormDesigner } from './FormDesigner';

export { FormulaEditor, type FormulaEditorProps } from './FormulaEditor';

export const formDesigner: SectionDesigner<FormDef> = {
  section: 'forms',
  blank: (_app, key, name) => ({ key, name, fields: [{ key: 'title', type: 'text', label: textNow(TEXT, 'starter.title'), required: true }], title_field: 'title' }),
  Designer: FormDesigner,
};
