import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App as AntApp } from 'antd';
import { useState } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockFetch } from '../../test/utils';
import type { AppDraft, FormDef, Problem } from '../types';
import FIELD_TYPES from './fieldTypes.fixture.json';
import { formDesigner } from './index';
import { duplicateField, moveField, nextFieldKey, removeField, renameField } from './model';
import { forgetFieldTypes } from './useFieldTypes';


const ORDER: FormDef = {
  key: 'order', name: '订单', title_field: 'no',
  fields: [
    { key: 'no', type: 'text', label: '单号', required: true },
    { key: 'status', type: 'select', label: '状态', options: [{ value: 'paid', label: '已支付' }, { value: 'refunded', label: '已退款' }] },
    { key: 'reason', type: 'text', label: '退款原因' },
    { key: 'amount', type: 'money', label: '金额' },
  ],
  linkage: [{ when: "status = 'refunded'", show: ['reason'], require: ['reason'] }],
};

const APP: AppDraft = {
  key: 'shop', name: '小店',
  forms: [{ key: 'customer', name: '客户', fields: [{ key: 'name', type: 'text', label: '姓名' }] }, ORDER],
};

function Harness({ initial = ORDER, problems = [], onChange }: { initial?: FormDef; problems?: Problem[]; onChange: (f: FormDef) => void }) {
  const [form, setForm] = useState(initial);
  const app = { ...APP, forms: APP.forms.map((f) => (f.key === form.key ? form : f)) };
  const Designer = formDesigner.Designer;
  return (
    <AntApp>
      <Designer appKey="shop" app={app} value={form} problems={problems}
        onChange={(next) => {
          setForm(next);
          onChange(next);
        }} />
    </AntApp>
  );
}

const lastForm = (spy: ReturnType<typeof vi.fn>) => spy.mock.calls.at(-1)![0] as FormDef;

describe('the form designer', () => {
  beforeEach(() => {
    forgetFieldTypes();
    mockFetch({ 'GET /api/field-types': { body: FIELD_TYPES }, 'GET /api/expr/functions': { body: [] } });
  });

  it('offers every type from the server in groups and appends a field when one is clicked', async () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    const palette = await screen.findByTestId('fd-palette');
    expect(within(palette).getByText('基础')).toBeInTheDocument();
    expect(within(palette).getByText('计算')).toBeInTheDocument();
    expect(within(palette).getByTestId('fd-palette-formula')).toHaveTextContent('公式');

    fireEvent.click(screen.getByTestId('fd-palette-number'));
    const added = lastForm(onChange);
    expect(added.fields.map((f) => f.key)).toEqual(['no', 'status', 'reason', 'amount', 'field_1']);
    expect(added.fields[4]).toEqual({ key: 'field_1', type: 'number', label: '数字' });
    // the new field is selected: its properties are open on the right
    expect(await screen.findByTestId('fd-field-field_1')).toHaveClass('selected');
    expect(screen.getByTestId('prop-key')).toHaveValue('field_1');

    // a select arrives with options, so it is valid as it lands
    fireEvent.click(screen.getByTestId('fd-palette-select'));
    expect(lastForm(onChange).fields[5]).toMatchObject({ key: 'field_2', type: 'select', options: [{ value: 'option_1' }, { value: 'option_2' }] });
  });

  it('edits the selected field through its property panel', async () => {
    const onChange = vi.fn();
    const user = userEvent.setup();
    render(<Harness onChange={onChange} />);
    await user.click(await screen.findByTestId('fd-field-reason'));

    const label = screen.getByTestId('prop-label');
    await user.clear(label);
    await user.type(label, '原因');
    expect(lastForm(onChange).fields[2]).toEqual({ key: 'reason', type: 'text', label: '原因' });

    await user.click(screen.getByTestId('prop-required'));
    expect(lastForm(onChange).fields[2].required).toBe(true);
    await user.click(screen.getByTestId('prop-required'));
    expect('required' in lastForm(onChange).fields[2]).toBe(false); // the default is left out of the JSON

    // a key that breaks the pattern is refused with the reason; a good one renames the linkage too
    const key = screen.getByTestId('prop-key');
    await user.clear(key);
    await user.type(key, 'Bad');
    expect(screen.getByText(/以小写字母开头/)).toBeInTheDocument();
    expect(lastForm(onChange).fields[2].key).toBe('reason');
    await user.clear(key);
    await user.type(key, 'why');
    expect(lastForm(onChange).fields[2].key).toBe('why');
    expect(lastForm(onChange).linkage).toEqual([{ when: "status = 'refunded'", show: ['why'], require: ['why'] }]);
  });

  it('edits the options of a choice field', async () => {
    const onChange = vi.fn();
    const user = userEvent.setup();
    render(<Harness onChange={onChange} />);
    await user.click(await screen.findByTestId('fd-field-status'));
    await user.click(screen.getByTestId('option-add'));
    expect(lastForm(onChange).fields[1].options).toEqual([
      { value: 'paid', label: '已支付' }, { value: 'refunded', label: '已退款' }, { value: 'option_3', label: '选项3' }]);
    await user.type(screen.getByTestId('option-label-2'), '!');
    expect((lastForm(onChange).fields[1].options as { label: string }[])[2].label).toBe('选项3!');
  });

  it('pins the server problems on the right field card and property', async () => {
    const problems: Problem[] = [
      { path: '/fields/1/options/1/value', message: '选项值不能为空' },
      { path: '/fields/3/label', message: '名称太长' },
    ];
    const user = userEvent.setup();
    render(<Harness onChange={vi.fn()} problems={problems} />);
    const status = await screen.findByTestId('fd-field-status');
    expect(status).toHaveClass('has-problems');
    expect(within(status).getByTestId('fd-problems-status')).toHaveTextContent('选项值不能为空');
    expect(screen.getByTestId('fd-field-amount')).toHaveTextContent('名称太长');
    expect(screen.getByTestId('fd-field-no')).not.toHaveClass('has-problems');
    expect(screen.getByTestId('fd-field-reason')).not.toHaveClass('has-problems');

    await user.click(status);
    expect(screen.getByTestId('prop-problem-options')).toHaveTextContent('选项值不能为空');
    expect(screen.queryByTestId('prop-problem-label')).toBeNull();
    await user.click(screen.getByTestId('fd-field-amount'));
    expect(screen.getByTestId('prop-problem-label')).toHaveTextContent('名称太长');
  });

  it('previews the form with the runtime form, linkage included, and saves nothing', async () => {
    const user = userEvent.setup();
    render(<Harness onChange={vi.fn()} />);
    await user.click(await screen.findByTestId('fd-tab-preview'));
    const preview = await screen.findByTestId('fd-preview');
    const form = within(preview).getByTestId('record-form');
    expect(form.querySelector('[data-field="no"]')).not.toBeNull();
    // 退款原因 shows only while the status is 已退款
    expect(form.querySelector('[data-field="reason"]')).toBeNull();
    fireEvent.mouseDown(form.querySelector('[data-field="status"] .ant-select')!);
    await user.click(await screen.findByTitle('已退款'));
    await waitFor(() => expect(form.querySelector('[data-field="reason"]')).not.toBeNull());
    await user.click(within(preview).getByTestId('record-save'));
    expect(await screen.findByText('预览不会保存记录')).toBeInTheDocument();
  });

  it('deletes and duplicates from the card', async () => {
    const onChange = vi.fn();
    const user = userEvent.setup();
    render(<Harness onChange={onChange} />);
    await user.click(await screen.findByTestId('fd-duplicate-amount'));
    expect(lastForm(onChange).fields.map((f) => f.key)).toEqual(['no', 'status', 'reason', 'amount', 'amount_1']);
    await user.click(screen.getByTestId('fd-delete-reason'));
    const after = lastForm(onChange);
    expect(after.fields.map((f) => f.key)).toEqual(['no', 'status', 'amount', 'amount_1']);
    expect(after.linkage).toEqual([{ when: "status = 'refunded'" }]);
  });
});

describe('form edits', () => {
  it('moves a field to where it is dropped, keeping the rest in order', () => {
    expect(moveField(ORDER, 3, 0).fields.map((f) => f.key)).toEqual(['amount', 'no', 'status', 'reason']);
    expect(moveField(ORDER, 0, 2).fields.map((f) => f.key)).toEqual(['status', 'reason', 'no', 'amount']);
    expect(moveField(ORDER, 1, 1)).toBe(ORDER);
  });

  it('keeps keys unique and references whole', () => {
    expect(nextFieldKey([{ key: 'field_1', type: 'text' }, { key: 'lines', type: 'subtable', fields: [{ key: 'field_2', type: 'text' }] }]))
      .toBe('field_3');
    expect(duplicateField(ORDER, 0).fields[1]).toEqual({ key: 'no_1', type: 'text', label: '单号', required: true });
    const renamed = renameField(ORDER, 0, 'code');
    expect(renamed.title_field).toBe('code');
    expect('title_field' in removeField(ORDER, 0)).toBe(false);
  });
});
