/** A branch's actions (then / else) in order: each drawn by its type's editor, added from the server's list of types. */
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, Dropdown, Space, Typography } from 'antd';
import { useI18n } from '../../i18n';
import type { Problem } from '../types';
import { actionEditor, type ActionContext, type ActionValue } from './actions';
import type { ActionTypeInfo } from './api';
import { ProblemText, problemsAt } from './parts';
import type { RuleT, RuleTextKey } from './text';

interface Props {
  branch: 'then' | 'else';
  actions: ActionValue[];
  onChange: (next: ActionValue[]) => void;
  types: ActionTypeInfo[];
  ctx: ActionContext;
  /** Problems of the rule, paths relative to it ("/then/0/tag"). */
  problems: Problem[];
  t: RuleT;
}

export function useActionLabel(types: ActionTypeInfo[], t: RuleT): (type: string) => string {
  const { lang } = useI18n();
  return (type: string) => {
    const info = types.find((i) => i.action === type);
    if (info) return lang === 'zh-CN' ? info.label['zh-CN'] : info.label.en;
    const key = `action.${type}` as RuleTextKey;
    const text = t(key);
    return text === key ? type : text;
  };
}

export function ActionList({ branch, actions, onChange, types, ctx, problems, t }: Props) {
  const labelOf = useActionLabel(types, t);
  const move = (from: number, to: number) => {
    const next = [...actions];
    const [item] = next.splice(from, 1);
    next.splice(to, 0, item);
    onChange(next);
  };
  const menu = types.map((info) => ({ key: info.action, label: labelOf(info.action), 'data-testid': `rule-action-type-${info.action}` }));
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={8} data-testid={`rule-${branch}`}>
      {actions.length === 0 ? <Typography.Text type="secondary">{t('then.empty')}</Typography.Text> : null}
      {actions.map((action, i) => {
        const { Editor } = actionEditor(action.action);
        const testId = `action-${branch}-${i}`;
        const mine = problemsAt(problems, `/${branch}/${i}`).map((p) => ({ ...p, path: p.path.slice(`/${branch}/${i}`.length) }));
        return (
          <Card key={i} size="small" data-testid={testId}
            title={<span>{i + 1}. {labelOf(action.action)}</span>}
            extra={(
              <Space size={0}>
                <Button type="text" size="small" icon={<ArrowUpOutlined />} aria-label={t('action.up')} disabled={i === 0}
                  onClick={() => move(i, i - 1)} />
                <Button type="text" size="small" icon={<ArrowDownOutlined />} aria-label={t('action.down')}
                  disabled={i === actions.length - 1} onClick={() => move(i, i + 1)} />
                <Button type="text" size="small" danger icon={<DeleteOutlined />} aria-label={t('action.remove')}
                  data-testid={`${testId}-remove`} onClick={() => onChange(actions.filter((_, k) => k !== i))} />
              </Space>
            )}>
            <Editor action={action} ctx={ctx} problems={mine} t={t} testId={testId}
              onChange={(next) => onChange(actions.map((a, k) => (k === i ? next : a)))} />
            {/* problems on the action as a whole (its type, a missing property) */}
            <ProblemText problems={mine.filter((p) => p.path === '/' || p.path === '' || p.path === '/action')} />
          </Card>
        );
      })}
      <ProblemText problems={problems.filter((p) => p.path === `/${branch}`)} />
      <Dropdown trigger={['click']} menu={{
        items: menu,
        onClick: ({ key }) => onChange([...actions, actionEditor(key).blank(ctx)]),
      }}>
        <Button icon={<PlusOutlined />} data-testid={`rule-add-action-${branch}`}>{t('action.add')}</Button>
      </Dropdown>
    </Space>
  );
}
