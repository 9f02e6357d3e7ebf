import { describe, expect, it } from 'vitest';
import { diffApps } from './diff';
import type { AppDraft } from './types';

const base: AppDraft = {
  format: 'nocode.app/v1',
  key: 'shop',
  name: '小店',
  forms: [
    { key: 'customer', name: '客户', fields: [{ key: 'name', type: 'text', label: '姓名' }, { key: 'age', type: 'text' }] },
    { key: 'note', name: '备注', fields: [{ key: 'text', type: 'text' }] },
  ],
  reports: [{ key: 'by_city', name: '按城市' }],
};

describe('diffApps', () => {
  it('finds nothing when the working copy is the published app', () => {
    expect(diffApps(base, structuredClone(base))).toEqual([]);
  });

  it('lists added, removed and changed items, and a form field by field', () => {
    const working = structuredClone(base);
    working.forms[0].fields = [
      { key: 'name', type: 'text', label: '客户姓名' },
      { key: 'age', type: 'number' },
      { key: 'city', type: 'text', label: '城市' },
    ];
    working.forms.splice(1, 1);
    working.flows = [{ key: 'welcome', name: '欢迎' }];
    working.name = '小店 2';
    const changes = diffApps(base, working);
    expect(changes.map((c) => [c.section, c.key, c.kind])).toEqual([
      ['settings', 'name', 'changed'],
      ['forms', 'customer', 'changed'],
      ['forms', 'note', 'removed'],
      ['flows', 'welcome', 'added'],
    ]);
    expect(changes[1].fields).toEqual([
      { key: 'name', label: '客户姓名', kind: 'changed' },
      { key: 'age', label: 'age', kind: 'changed', retyped: ['text', 'number'] },
      { key: 'city', label: '城市', kind: 'added' },
    ]);
  });

  it('treats everything as added for an app never published', () => {
    expect(diffApps(null, base).filter((c) => c.kind === 'added').map((c) => c.key)).toEqual(['customer', 'note', 'by_city']);
  });
});
