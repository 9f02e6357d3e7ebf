import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../../components/I18nProvider';
import { errorBody, mockFetch } from '../../test/utils';
import type { AppDraft, Problem } from '../types';
import { ruleDesigner } from './index';
import type { RuleItem } from './RuleDesigner';

const CUSTOMER = {
  key: 'customer', name: '客户', fields: [
    { key: 'name', type: 'text', label: '名称' },
    { key: 'amount', type: 'money', label: '金额' },
    { key: 'region', type: 'select', label: '地区', options: ['华东', '华南'] },
    { key: 'tags', type: 'tags', label: '标签' },
  ],
};
const APP: AppDraft = { key: 'shop', name: '小店', forms: [CUSTOMER], rules: [] };
const ACTIONS = [
  { action: 'add_tag', label: { 'zh-CN': '添加标签', en: 'Add tag' }, acts: false, schema: {} },
  { action: 'score', label: { 'zh-CN': '打分', en: 'Score' }, acts: false, schema: {} },
];

function Harness({ start, seen, problems = [] }: { start: RuleItem; seen: RuleItem[]; problems?: Problem[] }) {
  const [value, setValue] = useState(start);
  const { Designer } = ruleDesigner;
  return (
    <I18nProvider initialLang="zh-CN">
      <Designer appKey="shop" app={APP} value={value} problems={problems} onChange={(next) => { seen.push(next); setValue(next); }} />
    </I18nProvider>
  );
}

function routes(preview: Parameters<typeof mockFetch>[0][string]) {
  return mockFetch({
    'GET /api/rules/actions': { body: ACTIONS },
    'GET /api/apps/shop': { body: { ...APP, rules: [{ key: 'vip', name: 'VIP', form: 'customer' }] } },
    'POST /api/apps/shop/rules/preview': preview,
    'POST /api/apps/shop/rules/vip/run': { body: { matched: 3, changed: 2, acted: 0, failed: 0 } },
  });
}

describe('the rule designer', () => {
  it('opens a rule the builder wrote as condition rows and shows the count the server gives', async () => {
    const calls = routes({ body: { matched: 3, total: 5 } });
    const seen: RuleItem[] = [];
    render(<Harness seen={seen} start={{ key: 'vip', name: 'VIP', form: 'customer', when: "amount > 100 AND region IN ('华东')" }} />);
    expect(within(screen.getByTestId('cond-row-0')).getByText('大于')).toBeInTheDocument();
    expect(screen.getByTestId('cond-row-0-value')).toHaveValue('100');
    expect(await screen.findByText('预览：当前 3 条记录符合（共 5 条）')).toBeInTheDocument();
    const asked = calls.filter((c) => c.path === '/api/apps/shop/rules/preview');
    expect(asked.at(-1)!.body).toEqual({ form: 'customer', when: "amount > 100 AND region IN ('华东')" });
  });

  it('compiles an edited row into `when` and asks again', async () => {
    const calls = routes((init) => {
      const { when } = JSON.parse(String(init?.body));
      return { body: { matched: when === 'amount > 250' ? 1 : 4, total: 5 } };
    });
    const seen: RuleItem[] = [];
    render(<Harness seen={seen} start={{ key: 'vip', name: 'VIP', form: 'customer', when: 'amount > 100' }} />);
    fireEvent.change(screen.getByTestId('cond-row-0-value'), { target: { value: '250' } });
    expect(seen.at(-1)!.when).toBe('amount > 250');
    expect(await screen.findByText('预览：当前 1 条记录符合（共 5 条）')).toBeInTheDocument();
    expect(calls.filter((c) => c.path.endsWith('/preview')).length).toBeGreaterThanOrEqual(1);
  });

  it('opens what the builder cannot draw in formula mode and says when the form is not published', async () => {
    routes({ status: 422, body: errorBody('validation_failed', '1 problem', [{ path: '/form', message: '表单「customer」不存在' }]) });
    render(<Harness seen={[]} start={{ key: 'vip', name: 'VIP', form: 'customer', when: 'amount * 2 > 100' }}
      problems={[{ path: '/when', message: '第 1 个字符处：没有字段 amount2' }, { path: '/then/0/tag', message: '标签不能为空' }]} />);
    expect(screen.getByTestId('rule-when-formula')).toHaveValue('amount * 2 > 100');
    expect(screen.getByTestId('rule-when-problems')).toHaveTextContent('没有字段 amount2');
    expect(await screen.findByText(/尚未发布/)).toBeInTheDocument();
  });

  it('adds actions from the server list and shows their problems in place; runs a published rule', async () => {
    routes({ body: { matched: 0, total: 0 } });
    const seen: RuleItem[] = [];
    render(<Harness seen={seen} start={{ key: 'vip', name: 'VIP', form: 'customer', then: [{ action: 'add_tag', field: 'tags', tag: '' }] }}
      problems={[{ path: '/then/0/tag', message: '标签不能为空' }]} />);
    expect(within(screen.getByTestId('action-then-0')).getByText('标签不能为空')).toBeInTheDocument();
    fireEvent.change(within(screen.getByTestId('action-then-0-tag')).getByRole('combobox'), { target: { value: '高价值' } });
    expect(seen.at(-1)!.then).toEqual([{ action: 'add_tag', field: 'tags', tag: '高价值' }]);
    fireEvent.click(screen.getByTestId('rule-add-action-else'));
    fireEvent.click(await screen.findByText('打分'));
    expect(seen.at(-1)!.else).toEqual([{ action: 'score', into: '', terms: [{ when: '', points: 10 }] }]);
    fireEvent.click(screen.getByTestId('rule-run'));
    fireEvent.click(await screen.findByTestId('rule-run-confirm'));
    await waitFor(() => expect(screen.getByTestId('rule-run-result')).toHaveTextContent('已运行：3 条符合，2 条被修改'));
  });
});
