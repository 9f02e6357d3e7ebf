import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';
import { mockFetch, type RecordedCall } from '../../test/utils';
import type { AppDraft } from '../types';
import { FormulaEditor, suggestionsFor, wordAt } from './FormulaEditor';


const APP: AppDraft = {
  key: 'shop', name: '小店',
  forms: [
    { key: 'customer', name: '客户', fields: [{ key: 'name', type: 'text', label: '姓名' }, { key: 'vip', type: 'checkbox', label: '会员' }] },
    { key: 'order', name: '订单', fields: [
      { key: 'customer', type: 'relation', label: '客户', target: 'customer' },
      { key: 'amount', type: 'money', label: '金额' },
      { key: 'lines', type: 'subtable', label: '明细', fields: [{ key: 'qty', type: 'number', label: '数量' }] },
    ] },
  ],
};

const FUNCTIONS = [
  { name: 'SUM', signature: 'SUM(rows)', doc: { 'zh-CN': '求和', en: 'sum' } },
  { name: 'SUBSTITUTE', signature: 'SUBSTITUTE(text, old, new)', doc: { 'zh-CN': '替换', en: 'replace' } },
  { name: 'IF', signature: 'IF(cond, a, b)', doc: { 'zh-CN': '条件', en: 'if' } },
];

function Editor({ initial }: { initial: string }) {
  const [text, setText] = useState(initial);
  return <FormulaEditor appKey="shop" app={APP} form="order" value={text} onChange={setText} />;
}

describe('the formula editor', () => {
  let calls: RecordedCall[];
  beforeEach(() => {
    calls = mockFetch({
      'GET /api/expr/functions': { body: FUNCTIONS },
      'POST /api/expr/check': (init) => {
        const body = JSON.parse(String(init?.body)) as { expr: string };
        if (body.expr.includes('amout')) {
          return { status: 422, body: { error: { code: 'validation_failed', message: '输入有误，共 1 处', details: [
            { path: '/expr', code: 'expr_unknown_name', message: "第 9 个字符：没有字段 'amout'", position: 8 }] } } };
        }
        return { body: { type: 'number', reads: ['amount'] } };
      },
    });
  });

  it('marks where the server found the mistake, checking against the working copy', async () => {
    render(<Editor initial="1 + 2 + amout" />);
    const where = await screen.findByTestId('formula-error-position');
    expect(where).toHaveAttribute('data-position', '8');
    expect(where.querySelector('mark')).toHaveTextContent('a');
    expect(screen.getByTestId('formula-error')).toHaveTextContent("第 9 个字符：没有字段 'amout'");
    const check = calls.find((c) => c.path === '/api/expr/check')!;
    expect(check.body).toMatchObject({ app: 'shop', form: 'order', expr: '1 + 2 + amout', definition: { key: 'shop' } });
    expect((check.body as { definition: AppDraft }).definition.forms).toHaveLength(2);
  });

  it('shows the type of a good expression after typing stops', async () => {
    render(<Editor initial="" />);
    fireEvent.change(screen.getByTestId('formula-editor-input'), { target: { value: 'amount * 2', selectionStart: 10 } });
    expect(await screen.findByTestId('formula-ok')).toHaveTextContent('结果类型：数字');
    await waitFor(() => expect(calls.filter((c) => c.path === '/api/expr/check')).toHaveLength(1));
  });

  it('completes field keys with labels and function names', async () => {
    render(<Editor initial="" />);
    const input = screen.getByTestId('formula-editor-input');
    fireEvent.change(input, { target: { value: 'SU', selectionStart: 2 } });
    expect(await screen.findByTestId('formula-suggestion-SUM(')).toBeInTheDocument();
    fireEvent.mouseDown(screen.getByTestId('formula-suggestion-SUM('));
    expect(input).toHaveValue('SUM(');
    fireEvent.change(input, { target: { value: 'SUM(lines.q', selectionStart: 11 } });
    fireEvent.mouseDown(await screen.findByTestId('formula-suggestion-lines.qty'));
    expect(input).toHaveValue('SUM(lines.qty');
  });

  it('reads the word at the caret and what it may become', () => {
    expect(wordAt('IF(customer.na', 14)).toEqual({ start: 3, word: 'customer.na' });
    const through = suggestionsFor(APP, 'order', FUNCTIONS, 'customer.');
    expect(through.map((s) => [s.insert, s.hint])).toEqual([['customer.name', '姓名'], ['customer.vip', '会员']]);
    // labels match too: 金 finds amount
    expect(wordAt('1 + 金', 5)).toEqual({ start: 4, word: '金' });
    expect(suggestionsFor(APP, 'order', FUNCTIONS, '金').map((s) => s.insert)).toEqual(['amount']);
    expect(suggestionsFor(APP, 'order.lines', FUNCTIONS, 'q').map((s) => s.insert)).toEqual(['qty']);
  });
});
