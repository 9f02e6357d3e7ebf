/**
 * The selected field's properties, drawn from its type's JSON Schema: the common ones first (label, required,
 * description …), then the type's own, each with the editor the registry picks and the server's problems for it
 * right underneath. The key has its own editor: a new key applies only when it fits the pattern and is free.
 */
import { useEffect, useState } from 'react';
import { Alert, Form, Input, Tag, Tooltip } from 'antd';
import { useI18n } from '../../i18n';
import { clauseSeparator, useText } from '../text';
import type { FieldDef, Problem } from '../types';
import { FieldTypeIcon } from './icons';
import { keyProblem, problemsOfProp, setProp, typeLabel } from './model';
import { editorFor, type EditorContext } from './propertyEditors';
import { panelProps, propertiesOf } from './schema';
import { propText, TEXT } from './text';

export interface PropertyPanelProps {
  field: FieldDef;
  /** Its place among `ctx.siblings`. */
  index: number;
  ctx: EditorContext;
  /** Problems inside this field, paths relative to it ("/options/0/value"). */
  problems: Problem[];
  onChange: (next: FieldDef) => void;
  /** A new key, already checked; the form renames what refers to it. */
  onRename: (key: string) => void;
}

function ProblemText({ problems, prop }: { problems: Problem[]; prop: string }) {
  if (!problems.length) return null;
  return (
    <div className="fd-prop-problem" data-testid={`prop-problem-${prop}`}>
      {problems.map((p, i) => <div key={i}>{p.message}</div>)}
    </div>
  );
}

function KeyEditor({ field, index, ctx, problems, onRename }: Omit<PropertyPanelProps, 'onChange'>) {
  const t = useText(TEXT);
  const [text, setText] = useState(field.key);
  useEffect(() => setText(field.key), [field.key]);
  const wrong = keyProblem(text, ctx.siblings, index);
  return (
    <Form.Item label={propText(t, 'key')} required validateStatus={wrong || problems.length ? 'error' : undefined}
      help={wrong ? t(`key.${wrong}`) : undefined}>
      <Input value={text} data-testid="prop-key" className="fd-mono"
        onChange={(e) => {
          const next = e.target.value;
          setText(next);
          if (!keyProblem(next, ctx.siblings, index)) onRename(next);
        }} />
      <ProblemText problems={problems} prop="key" />
    </Form.Item>
  );
}

export function PropertyPanel({ field, index, ctx, problems, onChange, onRename }: PropertyPanelProps) {
  const t = useText(TEXT);
  const { lang } = useI18n();
  const info = ctx.types.find((x) => x.key === field.type);
  const schemas = propertiesOf(info);
  const props = panelProps(info);
  const placed = new Set(['key', 'type', ...props]);
  // problems on no property the panel shows (the field as a whole, or a key it does not know)
  const loose = problems.filter((p) => !placed.has(p.path.split('/')[1] ?? ''));
  return (
    <Form layout="vertical" component={false}>
      <div className="fd-panel-title" data-testid="property-panel">
        {info ? <FieldTypeIcon name={info.icon} /> : null}
        <Tag>{typeLabel(info, field.type, lang)}</Tag>
        <span className="fd-mono">{field.key}</span>
      </div>
      {!info ? <Alert type="warning" showIcon title={t('panel.unknownType', { type: field.type })} /> : null}
      {loose.length ? (
        <Alert type="error" showIcon data-testid="prop-problem-field" style={{ marginBottom: 12 }}
          title={loose.map((p) => p.message).join(clauseSeparator())} />
      ) : null}
      <KeyEditor field={field} index={index} ctx={ctx} problems={problemsOfProp(problems, 'key')} onRename={onRename} />
      {props.map((prop) => {
        const schema = schemas[prop];
        const Editor = editorFor(field.type, prop, schema);
        const mine = problemsOfProp(problems, prop);
        const help = schema.description;
        return (
          <Form.Item key={prop} validateStatus={mine.length ? 'error' : undefined} data-prop={prop}
            label={help ? <Tooltip title={help}><span>{propText(t, prop, schema.title)}</span></Tooltip> : propText(t, prop, schema.title)}>
            <Editor field={field} prop={prop} schema={schema} value={field[prop]} ctx={ctx}
              problems={mine.map((p) => ({ ...p, path: p.path.slice(prop.length + 1) || '/' }))}
              onChange={(value) => onChange(setProp(field, prop, value, schema.default ?? undefined))} />
            <ProblemText problems={mine} prop={prop} />
          </Form.Item>
        );
      })}
    </Form>
  );
}
