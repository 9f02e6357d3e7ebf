/**
 * Linkage rules (显隐/联动, engines/form/linkage.py): while `when` holds, the fields in `show` appear (and stay
 * hidden otherwise), those in `hide` disappear, those in `require` must be filled, and a choice field offers
 * only the options listed for it. Used for a form and, with a row's scope, for a sub-table.
 */
import { Button, Card, Empty, Select, Space, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { clauseSeparator, useText } from '../text';
import { problemsUnder, type AppDraft, type FieldDef, type Problem } from '../types';
import { FormulaEditor } from './FormulaEditor';
import type { LinkageRule } from './model';
import { TEXT } from './text';

export interface LinkageEditorProps {
  appKey: string;
  app: AppDraft;
  /** The expression scope of the conditions: the form key, or "order.lines". */
  scope: string;
  fields: FieldDef[];
  rules: LinkageRule[];
  onChange: (rules: LinkageRule[]) => void;
  /** Problems under the rule list ("/0/when"). */
  problems: Problem[];
}

const LISTS = ['show', 'hide', 'require'] as const;
const CHOICE_TYPES = new Set(['select', 'multi_select', 'radio']);

function optionValues(field: FieldDef | undefined): { value: string; label: string }[] {
  return (Array.isArray(field?.options) ? field.options : []).map((o) => {
    const option = typeof o === 'string' ? { value: o, label: o } : (o as { value: string; label?: string | null });
    return { value: option.value, label: option.label || option.value };
  });
}

function Problems({ problems, testId }: { problems: Problem[]; testId: string }) {
  if (!problems.length) return null;
  return <div className="fd-prop-problem" data-testid={testId}>{problems.map((p) => p.message).join(clauseSeparator())}</div>;
}

function RuleCard({ rule, index, props, onChange, onDelete }: {
  rule: LinkageRule; index: number; props: LinkageEditorProps; onChange: (rule: LinkageRule) => void; onDelete: () => void;
}) {
  const t = useText(TEXT);
  const valueFields = props.fields.filter((f) => f.type !== 'divider' && f.type !== 'note');
  const fieldOptions = valueFields.map((f) => ({ value: f.key, label: f.label ? `${f.label} (${f.key})` : f.key }));
  const problems = problemsUnder(props.problems, `/${index}`);
  const under = (part: string) => problems.filter((p) => p.path === `/${part}` || p.path.startsWith(`/${part}/`));
  const setList = (list: (typeof LISTS)[number], keys: string[]) => {
    const next: LinkageRule = { ...rule, [list]: keys };
    if (!keys.length) delete next[list];
    onChange(next);
  };
  const options = rule.options ?? {};
  const setOptions = (next: Record<string, string[]>) => {
    const copy: LinkageRule = { ...rule, options: next };
    if (!Object.keys(next).length) delete copy.options;
    onChange(copy);
  };
  const choiceFields = valueFields.filter((f) => CHOICE_TYPES.has(f.type) && !(f.key in options));
  return (
    <Card size="small" className="fd-rule" data-testid={`linkage-rule-${index}`}
      title={t('linkage.rule', { n: index + 1 })}
      extra={<Button type="text" danger icon={<DeleteOutlined />} aria-label={t('action.delete')}
        data-testid={`linkage-delete-${index}`} onClick={onDelete} />}>
      <div className="fd-rule-row">
        <Typography.Text strong>{t('linkage.when')}</Typography.Text>
        <FormulaEditor appKey={props.appKey} app={props.app} form={props.scope} value={rule.when} expect="bool"
          testId={`linkage-when-${index}`} onChange={(when) => onChange({ ...rule, when })} />
        <Problems problems={under('when')} testId={`linkage-problem-${index}-when`} />
      </div>
      {LISTS.map((list) => (
        <div className="fd-rule-row" key={list}>
          <Typography.Text strong>{t(`linkage.${list}`)}</Typography.Text>
          <Select mode="multiple" style={{ width: '100%' }} value={rule[list] ?? []} options={fieldOptions}
            placeholder={t('linkage.pickFields')} data-testid={`linkage-${list}-${index}`}
            onChange={(keys) => setList(list, keys)} />
          <Problems problems={under(list)} testId={`linkage-problem-${index}-${list}`} />
        </div>
      ))}
      <div className="fd-rule-row">
        <Typography.Text strong>{t('linkage.options')}</Typography.Text>
        {Object.entries(options).map(([key, values]) => {
          const field = valueFields.find((f) => f.key === key);
          return (
            <Space.Compact block key={key} className="fd-option-row">
              <Select style={{ width: '35%' }} value={key} disabled options={fieldOptions} />
              <Select mode="multiple" style={{ width: '55%' }} value={values} options={optionValues(field)}
                onChange={(next) => setOptions({ ...options, [key]: next })} />
              <Button danger icon={<DeleteOutlined />} aria-label={t('action.delete')}
                onClick={() => {
                  const { [key]: _gone, ...rest } = options;
                  setOptions(rest);
                }} />
            </Space.Compact>
          );
        })}
        {choiceFields.length ? (
          <Select style={{ width: '100%' }} value={null} placeholder={t('linkage.addOptions')}
            options={choiceFields.map((f) => ({ value: f.key, label: f.label ? `${f.label} (${f.key})` : f.key }))}
            onChange={(key: string) => setOptions({ ...options, [key]: optionValues(valueFields.find((f) => f.key === key)).map((o) => o.value) })} />
        ) : null}
        <Problems problems={under('options')} testId={`linkage-problem-${index}-options`} />
      </div>
    </Card>
  );
}

export function LinkageEditor(props: LinkageEditorProps) {
  const t = useText(TEXT);
  const { rules, onChange } = props;
  return (
    <div className="fd-linkage" data-testid="linkage-editor">
      {rules.length === 0 ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('linkage.empty')} /> : null}
      {rules.map((rule, i) => (
        <RuleCard key={i} rule={rule} index={i} props={props}
          onChange={(next) => onChange(rules.map((r, j) => (j === i ? next : r)))}
          onDelete={() => onChange(rules.filter((_, j) => j !== i))} />
      ))}
      <Button type="dashed" block icon={<PlusOutlined />} data-testid="linkage-add"
        onClick={() => onChange([...rules, { when: 'TRUE' }])}>
        {t('linkage.add')}
      </Button>
    </div>
  );
}
