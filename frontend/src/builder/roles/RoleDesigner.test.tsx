import { fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../../components/I18nProvider';
import type { AppDraft } from '../types';
import { roleDesigner } from './index';
import type { RoleItem } from './RoleDesigner';

const APP: AppDraft = {
  key: 'shop', name: '小店', forms: [
    { key: 'customer', name: '客户', fields: [{ key: 'name', type: 'text', label: '名称' }, { key: 'credit', type: 'money', label: '信用额度' }] },
    { key: 'order', name: '订单', fields: [{ key: 'amount', type: 'money' }] },
  ],
};

function Harness({ start, seen }: { start: RoleItem; seen: RoleItem[] }) {
  const [value, setValue] = useState(start);
  const { Designer } = roleDesigner;
  return (
    <I18nProvider initialLang="zh-CN">
      <Designer appKey="shop" app={APP} value={value} problems={[{ path: '/permissions/0/rows', message: '表达式有误' }]}
        onChange={(next) => { seen.push(next); setValue(next); }} />
    </I18nProvider>
  );
}

describe('the roles editor', () => {
  it('ticking boxes in the matrix writes the permissions the format expects', () => {
    const seen: RoleItem[] = [];
    render(<Harness start={roleDesigner.blank(APP, 'leader', '团长')} seen={seen} />);
    fireEvent.click(screen.getByTestId('role-perm-customer-read'));
    fireEvent.click(screen.getByTestId('role-perm-customer-update'));
    fireEvent.click(screen.getByTestId('role-perm-order-export'));
    expect(seen.at(-1)!.permissions).toEqual([
      { form: 'customer', ops: ['read', 'update'] }, { form: 'order', ops: ['export'] }]);
    fireEvent.click(screen.getByTestId('role-perm-order-export'));
    expect(seen.at(-1)!.permissions).toEqual([{ form: 'customer', ops: ['read', 'update'] }]);
  });

  it('sets field access in the expanded row and shows problems on the row scope', () => {
    const seen: RoleItem[] = [];
    render(<Harness start={{ key: 'leader', name: '团长', permissions: [{ form: 'customer', ops: ['read'], rows: 'x =' }] }} seen={seen} />);
    expect(screen.getByText('表达式有误')).toBeInTheDocument();
    expect(screen.getByTestId('role-rows-customer-expr')).toHaveValue('x =');
    fireEvent.click(screen.getAllByRole('button', { name: /展开行|expand/i })[0]);
    const credit = screen.getByTestId('role-field-customer-credit');
    fireEvent.click(within(credit).getByText('隐藏'));
    expect(seen.at(-1)!.permissions).toEqual([{ form: 'customer', ops: ['read'], rows: 'x =', fields: { credit: 'hidden' } }]);
  });
});
