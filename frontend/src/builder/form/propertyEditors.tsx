/**
 * The property editors of the field panel, found in a registry rather than an if-chain: first by
 * "type.property" (a lookup's `field` is a field of the linked form, a rollup's one of the source form), then by
 * property name (`options`, `target`, `expr`, `default`, `fields` …), then by the kind of value the type's JSON
 * Schema declares (a switch for booleans, a number input, a select for an enum, …).
 */
import { useEffect, useState, type ComponentType } from 'react';
import { AutoComplete, Button, Input, InputNumber, Segmented, Select, Space, Switch } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import type { FieldTypeInfo } from '../api';
import { useText } from '../text';
import type { AppDraft, FieldDef, FormDef, Problem } from '../types';
import { FormulaEditor } from './FormulaEditor';
import { LinkageEditor } from './LinkageEditor';
import { moveItem, type LinkageRule } from './model';
import { enumValues, kindOf, nonNull, type PropKind, type PropSchema } from './schema';
import { SubtableFieldsEditor } from './SubtableFieldsEditor';
import { enumText, TEXT } from './text';

const FULLWIDTH_COMMA = '\uff0c'; // people type lists with the Chinese comma too

/** Where the field being edited lives: the app, its form, the expression scope and the fields beside it. */
export interface EditorContext {
  appKey: string;
  app: AppDraft;
  form: FormDef;
  /** The form expressions on this field run on: "order", or "order.lines" for a sub-table column. */
  scope: string;
  siblings: FieldDef[];
  types: FieldTypeInfo[];
}

export interface PropEditorProps {
  field: FieldDef;
  prop: string;
  schema: PropSchema;
  value: unknown;
  onChange: (next: unknown) => void;
  ctx: EditorContext;
  /** Problems of this property, paths relative to it. */
  problems: Problem[];
}

export type PropEditor = ComponentType<PropEditorProps>;

const testId = (prop: string) => `prop-${prop}`;

function TextProp({ prop, value, onChange, schema }: PropEditorProps) {
  return (
    <Input value={typeof value === 'string' ? value : ''} maxLength={nonNull(schema).maxLength}
      data-testid={testId(prop)} onChange={(e) => onChange(e.target.value)} />
  );
}

function LongTextProp({ prop, value, onChange }: PropEditorProps) {
  return (
    <Input.TextArea value={typeof value === 'string' ? value : ''} autoSize={{ minRows: 2, maxRows: 8 }}
      data-testid={testId(prop)} onChange={(e) => onChange(e.target.value)} />
  );
}

function SwitchProp({ prop, value, onChange, schema }: PropEditorProps) {
  const on = typeof value === 'boolean' ? value : Boolean(schema.default);
  return <Switch checked={on} data-testid={testId(prop)} onChange={(v) => onChange(v)} />;
}

function NumberProp({ prop, value, onChange, schema }: PropEditorProps) {
  const s = nonNull(schema);
  return (
    <InputNumber<number> style={{ width: '100%' }} value={typeof value === 'number' ? value : null}
      min={s.minimum} max={s.maximum} precision={s.type === 'integer' ? 0 : undefined}
      placeholder={s.default !== undefined && s.default !== null ? String(s.default) : undefined}
      data-testid={testId(prop)} onChange={(v) => onChange(v ?? null)} />
  );
}

function EnumProp({ prop, value, onChange, schema }: PropEditorProps) {
  const t = useText(TEXT);
  const s = nonNull(schema);
  return (
    <Select style={{ width: '100%' }} value={(value as string | undefined) ?? (s.default as string | undefined) ?? undefined}
      allowClear={schema.default === null || schema.default === undefined} data-testid={testId(prop)}
      options={enumValues(schema).map((v) => ({ value: v, label: enumText(t, v) }))}
      onChange={(v) => onChange(v ?? null)} />
  );
}

function StringsProp({ prop, value, onChange }: PropEditorProps) {
  return (
    <Select mode="tags" style={{ width: '100%' }} value={Array.isArray(value) ? (value as string[]) : []}
      data-testid={testId(prop)} tokenSeparators={[',', FULLWIDTH_COMMA]} onChange={(v) => onChange(v)} open={false} />
  );
}

/** Anything the panel has no better editor for, as JSON: applied when it parses. */
function JsonProp({ prop, value, onChange }: PropEditorProps) {
  const t = useText(TEXT);
  const [text, setText] = useState(() => (value === undefined ? '' : JSON.stringify(value, null, 2)));
  const [bad, setBad] = useState(false);
  useEffect(() => {
    setText((current) => {
      try {
        if (current && JSON.stringify(JSON.parse(current)) === JSON.stringify(value)) return current;
      } catch {
        return current;
      }
      return value === undefined ? '' : JSON.stringify(value, null, 2);
    });
  }, [value]);
  return (
    <>
      <Input.TextArea value={text} status={bad ? 'error' : undefined} autoSize={{ minRows: 2, maxRows: 10 }}
        className="fd-mono" data-testid={testId(prop)}
        onChange={(e) => {
          setText(e.target.value);
          try {
            onChange(e.target.value.trim() ? JSON.parse(e.target.value) : undefined);
            setBad(false);
          } catch {
            setBad(true);
          }
        }} />
      {bad ? <div className="fd-prop-problem">{t('prop.badJson')}</div> : null}
    </>
  );
}

function WidthProp({ value, onChange }: PropEditorProps) {
  const t = useText(TEXT);
  const options = [
    { value: 0, label: t('width.auto') },
    ...[1, 2, 3, 4].map((w) => ({ value: w, label: t(`width.${w}` as 'width.1') })),
  ];
  return (
    <Segmented size="small" options={options} value={typeof value === 'number' ? value : 0} data-testid="prop-width"
      onChange={(v) => onChange(v === 0 ? null : v)} />
  );
}

interface OptionObject {
  value: string;
  label?: string | null;
  color?: string | null;
}

/** Choices of a select, multi-select or radio: value and label per row, added, removed and moved. */
export function OptionsEditor({ value, onChange }: PropEditorProps) {
  const t = useText(TEXT);
  const options: OptionObject[] = (Array.isArray(value) ? value : []).map((o) =>
    typeof o === 'string' ? { value: o, label: o } : (o as OptionObject));
  const edit = (i: number, patch: Partial<OptionObject>) =>
    onChange(options.map((o, j) => (j === i ? { ...o, ...patch } : o)));
  const add = () => {
    const taken = new Set(options.map((o) => o.value));
    let n = options.length + 1;
    while (taken.has(`option_${n}`)) n += 1;
    onChange([...options, { value: `option_${n}`, label: t('options.newLabel', { n }) }]);
  };
  return (
    <div className="fd-options" data-testid="options-editor">
      {options.map((o, i) => (
        <Space.Compact key={i} block className="fd-option-row">
          <Input value={o.value} placeholder={t('options.value')} data-testid={`option-value-${i}`}
            onChange={(e) => edit(i, { value: e.target.value })} />
          <Input value={o.label ?? ''} placeholder={t('options.label')} data-testid={`option-label-${i}`}
            onChange={(e) => edit(i, { label: e.target.value || null })} />
          <Button icon={<ArrowUpOutlined />} disabled={i === 0} aria-label={t('action.up')}
            onClick={() => onChange(moveItem(options, i, i - 1))} />
          <Button icon={<ArrowDownOutlined />} disabled={i === options.length - 1} aria-label={t('action.down')}
            onClick={() => onChange(moveItem(options, i, i + 1))} />
          <Button icon={<DeleteOutlined />} danger aria-label={t('action.delete')} data-testid={`option-delete-${i}`}
            onClick={() => onChange(options.filter((_, j) => j !== i))} />
        </Space.Compact>
      ))}
      <Button size="small" icon={<PlusOutlined />} onClick={add} data-testid="option-add">{t('options.add')}</Button>
    </div>
  );
}

const formOptions = (app: AppDraft) => app.forms.map((f) => ({ value: f.key, label: `${f.name} (${f.key})` }));
const fieldOptions = (fields: FieldDef[]) => fields
  .filter((f) => f.type !== 'divider' && f.type !== 'note')
  .map((f) => ({ value: f.key, label: f.label ? `${f.label} (${f.key})` : f.key }));

/** A relation's target form. */
function TargetFormProp({ prop, value, onChange, ctx }: PropEditorProps) {
  return (
    <Select style={{ width: '100%' }} showSearch={{ optionFilterProp: 'label' }} value={value as string | undefined}
      options={formOptions(ctx.app)} data-testid={testId(prop)} onChange={(v) => onChange(v)} />
  );
}

/** A rollup's source: another form (with `via`), or a form's sub-table ("order.lines"). */
function SourceProp({ prop, value, onChange, ctx }: PropEditorProps) {
  const options = ctx.app.forms.flatMap((form) => [
    { value: form.key, label: `${form.name} (${form.key})` },
    ...form.fields.filter((f) => f.type === 'subtable')
      .map((f) => ({ value: `${form.key}.${f.key}`, label: `${form.name} · ${f.label ?? f.key} (${form.key}.${f.key})` })),
  ]);
  return (
    <Select style={{ width: '100%' }} allowClear showSearch={{ optionFilterProp: 'label' }}
      value={value as string | undefined} options={options} data-testid={testId(prop)} onChange={(v) => onChange(v ?? null)} />
  );
}

function formOf(app: AppDraft, key: string | undefined): FormDef | undefined {
  return app.forms.find((f) => f.key === key);
}

/** The fields of a rollup's source: a form's, a sub-table's rows, or what its own `relation` reaches. */
function rollupSourceFields(field: FieldDef, ctx: EditorContext): FieldDef[] {
  if (typeof field.source === 'string') {
    const [formKey, sub] = field.source.split('.');
    const form = formOf(ctx.app, formKey);
    return sub ? form?.fields.find((f) => f.key === sub)?.fields ?? [] : form?.fields ?? [];
  }
  const through = ctx.siblings.find((f) => f.key === field.relation);
  if (through?.type === 'subtable') return through.fields ?? [];
  return formOf(ctx.app, through?.target as string | undefined)?.fields ?? [];
}

/** A lookup's relation (one-record relations of this form) or a rollup's (sub-tables and many-relations). */
function RelationFieldProp({ field, prop, value, onChange, ctx }: PropEditorProps) {
  const fits = field.type === 'lookup'
    ? (f: FieldDef) => f.type === 'relation' && !f.many
    : (f: FieldDef) => f.type === 'subtable' || (f.type === 'relation' && Boolean(f.many));
  return (
    <Select style={{ width: '100%' }} allowClear={field.type !== 'lookup'} value={(value as string) || undefined}
      options={fieldOptions(ctx.siblings.filter(fits))} data-testid={testId(prop)} onChange={(v) => onChange(v ?? null)} />
  );
}

/** A field path on another form; free text too, for paths through its relations ("leader.level"). */
function pathPicker(fieldsOf: (field: FieldDef, ctx: EditorContext) => FieldDef[]): PropEditor {
  return function PathProp({ field, prop, value, onChange, ctx }: PropEditorProps) {
    return (
      <AutoComplete style={{ width: '100%' }} value={(value as string) ?? ''} options={fieldOptions(fieldsOf(field, ctx))}
        data-testid={testId(prop)} onChange={(v) => onChange(v || null)}
        showSearch={{ filterOption: (input, option) => String(option?.value ?? '').includes(input) }} />
    );
  };
}

const LookupFieldProp = pathPicker((field, ctx) => {
  const relation = ctx.siblings.find((f) => f.key === field.relation);
  return formOf(ctx.app, relation?.target as string | undefined)?.fields ?? [];
});
const RollupFieldProp = pathPicker(rollupSourceFields);

/** The relation field of a rollup's source form that points back at this form. */
function ViaProp({ field, prop, value, onChange, ctx }: PropEditorProps) {
  const fields = rollupSourceFields(field, ctx).filter((f) => f.type === 'relation' && f.target === ctx.form.key);
  return (
    <Select style={{ width: '100%' }} allowClear value={(value as string) || undefined} options={fieldOptions(fields)}
      data-testid={testId(prop)} onChange={(v) => onChange(v ?? null)} />
  );
}

function formulaProp(scopeOf: (field: FieldDef, ctx: EditorContext) => string, expect?: 'bool'): PropEditor {
  return function FormulaProp({ field, prop, value, onChange, ctx }: PropEditorProps) {
    return (
      <FormulaEditor appKey={ctx.appKey} app={ctx.app} form={scopeOf(field, ctx)} value={(value as string) ?? ''}
        expect={expect} testId={`prop-${prop}`} onChange={(v) => onChange(v)} />
    );
  };
}

const rollupScope = (field: FieldDef, ctx: EditorContext) =>
  typeof field.source === 'string' ? field.source
    : ctx.siblings.find((f) => f.key === field.relation)?.type === 'subtable' ? `${ctx.scope}.${String(field.relation)}`
      : String(ctx.siblings.find((f) => f.key === field.relation)?.target ?? ctx.scope);

const NUMERIC_TYPES = new Set(['number', 'money', 'percent', 'rating', 'slider', 'duration']);
const SWITCH_TYPES = new Set(['checkbox', 'switch']);

type DefaultMode = 'none' | 'value' | 'expr';

/** A literal default in the widget the field's type calls for: a number, a switch, one of its options, or text. */
function LiteralDefault({ field, value, onChange }: { field: FieldDef; value: unknown; onChange: (v: unknown) => void }) {
  const options = (Array.isArray(field.options) ? field.options : []).map((o) =>
    typeof o === 'string' ? { value: o, label: o } : { value: (o as OptionObject).value, label: (o as OptionObject).label || (o as OptionObject).value });
  if (NUMERIC_TYPES.has(field.type)) {
    return <InputNumber<number> style={{ width: '100%' }} value={typeof value === 'number' ? value : null}
      data-testid="prop-default-value" onChange={(v) => onChange(v ?? null)} />;
  }
  if (SWITCH_TYPES.has(field.type)) {
    return <Switch checked={value === true} data-testid="prop-default-value" onChange={(v) => onChange(v)} />;
  }
  if (field.type === 'select' || field.type === 'radio') {
    return <Select style={{ width: '100%' }} allowClear value={value as string | undefined} options={options}
      data-testid="prop-default-value" onChange={(v) => onChange(v ?? null)} />;
  }
  if (field.type === 'multi_select' || field.type === 'tags') {
    return <Select style={{ width: '100%' }} mode={field.type === 'tags' ? 'tags' : 'multiple'}
      value={Array.isArray(value) ? (value as string[]) : []} options={options} data-testid="prop-default-value"
      onChange={(v) => onChange(v)} />;
  }
  return <Input value={typeof value === 'string' ? value : ''} data-testid="prop-default-value"
    onChange={(e) => onChange(e.target.value)} />;
}

/** A field's default: none, a fixed value, or an expression ({"expr": "TODAY() + 7"}) worked out on create. */
function DefaultProp({ field, value, onChange, ctx }: PropEditorProps) {
  const t = useText(TEXT);
  const isExpr = value !== null && typeof value === 'object' && !Array.isArray(value) && 'expr' in (value as object);
  const [mode, setMode] = useState<DefaultMode>(isExpr ? 'expr' : value === undefined || value === null ? 'none' : 'value');
  const choose = (next: DefaultMode) => {
    setMode(next);
    if (next === 'none') onChange(null);
    if (next === 'expr') onChange({ expr: 'TODAY()' });
    if (next === 'value') onChange(null);
  };
  return (
    <div className="fd-default">
      <Segmented size="small" value={mode} data-testid="prop-default-mode" onChange={(v) => choose(v as DefaultMode)}
        options={[
          { value: 'none', label: t('default.none') },
          { value: 'value', label: t('default.value') },
          { value: 'expr', label: t('default.expr') },
        ]} />
      {mode === 'value' ? <LiteralDefault field={field} value={value} onChange={onChange} /> : null}
      {mode === 'expr' ? (
        <FormulaEditor appKey={ctx.appKey} app={ctx.app} form={ctx.scope} testId="prop-default-expr"
          value={isExpr ? String((value as { expr: unknown }).expr ?? '') : ''}
          onChange={(expr) => onChange({ expr })} />
      ) : null}
    </div>
  );
}

/** A sub-table's own linkage rules, over its row's fields. */
function SubtableLinkageProp({ field, value, onChange, ctx, problems }: PropEditorProps) {
  return (
    <LinkageEditor appKey={ctx.appKey} app={ctx.app} scope={`${ctx.scope}.${field.key}`} fields={field.fields ?? []}
      rules={(Array.isArray(value) ? value : []) as LinkageRule[]} problems={problems}
      onChange={(rules) => onChange(rules)} />
  );
}

const BY_TYPE_PROP: Record<string, PropEditor> = {
  'lookup.relation': RelationFieldProp,
  'lookup.field': LookupFieldProp,
  'rollup.relation': RelationFieldProp,
  'rollup.field': RollupFieldProp,
  'rollup.filter': formulaProp(rollupScope, 'bool'),
  'rollup.parent_filter': formulaProp((field) => String(field.source ?? '').split('.')[0], 'bool'),
  'tags.options': StringsProp,
  'cascade.options': JsonProp,
  'subtable.linkage': SubtableLinkageProp,
};

const BY_PROP: Record<string, PropEditor> = {
  description: LongTextProp,
  content: LongTextProp,
  options: OptionsEditor,
  target: TargetFormProp,
  source: SourceProp,
  via: ViaProp,
  expr: formulaProp((_field, ctx) => ctx.scope),
  default: DefaultProp,
  width: WidthProp,
  // a wrapper: SubtableFieldsEditor draws property panels, which come back here
  fields: (props) => <SubtableFieldsEditor {...props} />,
};

const BY_KIND: Record<PropKind, PropEditor> = {
  boolean: SwitchProp,
  integer: NumberProp,
  number: NumberProp,
  enum: EnumProp,
  string: TextProp,
  strings: StringsProp,
  json: JsonProp,
};

export function editorFor(type: string, prop: string, schema: PropSchema): PropEditor {
  return BY_TYPE_PROP[`${type}.${prop}`] ?? BY_PROP[prop] ?? BY_KIND[kindOf(schema)];
}
