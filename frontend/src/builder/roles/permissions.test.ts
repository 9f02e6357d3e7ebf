import { describe, expect, it } from 'vitest';
import type { FormDef } from '../types';
import {
  accessFields, extraCount, setAllOps, setFieldMode, setOp, setOpForAll, setRows, type Permission,
} from './permissions';

const ORDER: FormDef = {
  key: 'order', name: '订单', fields: [
    { key: 'no', type: 'text' }, { key: 'sep', type: 'divider' }, { key: 'amount', type: 'money', label: '金额' },
    { key: 'lines', type: 'subtable', fields: [{ key: 'qty', type: 'number' }, { key: 'cost', type: 'money' }] },
  ],
};

describe('the permission matrix', () => {
  it('ticking operations writes one permission per form with the ops in the format order', () => {
    let perms: Permission[] = [];
    perms = setOp(perms, 'order', 'update', true);
    perms = setOp(perms, 'order', 'read', true);
    perms = setOp(perms, 'customer', 'export', true);
    expect(perms).toEqual([{ form: 'order', ops: ['read', 'update'] }, { form: 'customer', ops: ['export'] }]);
  });

  it('leaves a form out once its last operation is unticked', () => {
    let perms: Permission[] = [{ form: 'order', ops: ['read'], rows: 'own', fields: { amount: 'hidden' } }];
    perms = setOp(perms, 'order', 'read', false);
    expect(perms).toEqual([]);
  });

  it('sets row scopes and field access on the form, leaving out the defaults', () => {
    let perms: Permission[] = setOp([], 'order', 'read', true);
    perms = setRows(perms, 'order', 'own');
    perms = setFieldMode(perms, 'order', 'amount', 'readonly');
    perms = setFieldMode(perms, 'order', 'lines.cost', 'hidden');
    expect(perms).toEqual([{ form: 'order', ops: ['read'], rows: 'own', fields: { amount: 'readonly', 'lines.cost': 'hidden' } }]);
    perms = setRows(perms, 'order', "leader = CURRENT_USER() AND status != 'draft'");
    expect(perms[0].rows).toBe("leader = CURRENT_USER() AND status != 'draft'");
    perms = setRows(perms, 'order', 'all');
    perms = setFieldMode(perms, 'order', 'amount', 'editable');
    perms = setFieldMode(perms, 'order', 'lines.cost', 'editable');
    expect(perms).toEqual([{ form: 'order', ops: ['read'] }]);
  });

  it('does not invent a permission for scopes or fields of a form with no operations', () => {
    expect(setRows([], 'order', 'own')).toEqual([]);
    expect(setFieldMode([], 'order', 'amount', 'hidden')).toEqual([]);
  });

  it('a row box ticks every operation, a column box one operation on every form', () => {
    expect(setAllOps([], 'order', true)).toEqual([{ form: 'order', ops: ['read', 'create', 'update', 'delete', 'import', 'export'] }]);
    const perms = setOpForAll([{ form: 'order', ops: ['update'], rows: 'own' }], ['order', 'customer'], 'read', true);
    expect(perms).toEqual([{ form: 'order', ops: ['read', 'update'], rows: 'own' }, { form: 'customer', ops: ['read'] }]);
    expect(setOpForAll(perms, ['order', 'customer'], 'read', false)).toEqual([{ form: 'order', ops: ['update'], rows: 'own' }]);
  });

  it('keeps a second permission of the same form as it is', () => {
    const perms: Permission[] = [{ form: 'order', ops: ['read'] }, { form: 'order', ops: ['update'], rows: 'own' }];
    expect(extraCount(perms, 'order')).toBe(1);
    expect(setOp(perms, 'order', 'delete', true)).toEqual([
      { form: 'order', ops: ['read', 'delete'] }, { form: 'order', ops: ['update'], rows: 'own' }]);
  });

  it('lists fields for access with sub-table fields as lines.cost and no layout items', () => {
    expect(accessFields(ORDER).map((f) => f.path)).toEqual(['no', 'amount', 'lines', 'lines.qty', 'lines.cost']);
  });
});
