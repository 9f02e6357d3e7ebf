/**
 * The form's own settings, shown when no field is selected: its name, description, the field that names a
 * record (title_field), and a quick layout that sets every field's `width` to give 1, 2 or 4 fields per row
 * (the format keeps the layout on the fields: `width` is 1–4 quarters of a row).
 */
import { Form, Input, Segmented, Select } from 'antd';
import { clauseSeparator, useText } from '../text';
import type { FormDef, Problem } from '../types';
import { currentColumns, layoutColumns, problemsOfProp, setProp } from './model';
import { TEXT } from './text';

/** Types whose value reads well as a record's title (builder/validate.py _TITLE_TYPES). */
const TITLE_TYPES = new Set(['text', 'autonumber', 'phone', 'email', 'number', 'money', 'select', 'date', 'url']);

function Problems({ problems, prop }: { problems: Problem[]; prop: string }) {
  if (!problems.length) return null;
  return <div className="fd-prop-problem" data-testid={`form-problem-${prop}`}>{problems.map((p) => p.message).join(clauseSeparator())}</div>;
}

export function FormSettings({ form, problems, onChange }: { form: FormDef; problems: Problem[]; onChange: (next: FormDef) => void }) {
  const t = useText(TEXT);
  const columns = currentColumns(form);
  const titleOptions = form.fields.filter((f) => TITLE_TYPES.has(f.type))
    .map((f) => ({ value: f.key, label: f.label ? `${f.label} (${f.key})` : f.key }));
  const item = (prop: string) => problemsOfProp(problems, prop);
  return (
    <Form layout="vertical" component={false}>
      <div className="fd-panel-title" data-testid="form-settings">{t('settings.title')}</div>
      <Form.Item label={t('settings.name')} required validateStatus={item('name').length ? 'error' : undefined}>
        <Input value={form.name} data-testid="form-name" onChange={(e) => onChange({ ...form, name: e.target.value })} />
        <Problems problems={item('name')} prop="name" />
      </Form.Item>
      <Form.Item label={t('settings.titleField')} tooltip={t('settings.titleFieldHelp')}
        validateStatus={item('title_field').length ? 'error' : undefined}>
        <Select allowClear value={(form.title_field as string | undefined) ?? undefined} options={titleOptions}
          data-testid="form-title-field" onChange={(v) => onChange(setProp(form, 'title_field', v ?? null))} />
        <Problems problems={item('title_field')} prop="title_field" />
      </Form.Item>
      <Form.Item label={t('settings.description')}>
        <Input.TextArea value={(form.description as string | undefined) ?? ''} autoSize={{ minRows: 2, maxRows: 6 }}
          data-testid="form-description" onChange={(e) => onChange(setProp(form, 'description', e.target.value))} />
      </Form.Item>
      <Form.Item label={t('settings.columns')} tooltip={t('settings.columnsHelp')}>
        <Segmented value={columns ?? 0} data-testid="form-columns"
          options={[
            ...(columns === undefined ? [{ value: 0, label: t('settings.mixed'), disabled: true }] : []),
            { value: 1, label: '1' }, { value: 2, label: '2' }, { value: 4, label: '4' },
          ]}
          onChange={(v) => onChange(layoutColumns(form, v as 1 | 2 | 4))} />
      </Form.Item>
    </Form>
  );
}
