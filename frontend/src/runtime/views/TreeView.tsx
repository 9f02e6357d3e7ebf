/** Tree: records nested under the record their `parent` field (a relation to the same form) names; a record whose
 * parent is not among those shown is a root. */
import { Table } from 'antd';
import type { TableColumnsType } from 'antd';
import type { RecordData } from '../../api';
import { useI18n } from '../../i18n';
import { fieldLabel, renderValue } from '../fields';
import { namedFields, recordColors, refId, setting, settingList, tint, type ViewProps } from './model';

export type TreeRow = RecordData & { children?: TreeRow[] };

/** Records as a forest by their parent field; cycles are broken at the first record met again. */
export function buildTree(records: RecordData[], parentKey: string): TreeRow[] {
  const byId = new Map<number, TreeRow>(records.map((r) => [r.id, { ...r }]));
  const roots: TreeRow[] = [];
  for (const row of byId.values()) {
    const parentId = Number(refId(row[parentKey]));
    let parent = byId.get(parentId);
    // walking up from the parent must not come back to this row
    for (let up = parent, steps = 0; up && steps <= byId.size; steps += 1) {
      if (up.id === row.id) { parent = undefined; break; }
      up = byId.get(Number(refId(up[parentKey])));
    }
    if (parent && parent.id !== row.id) (parent.children ??= []).push(row);
    else roots.push(row);
  }
  return roots;
}

export function TreeView({ view, fields, records, scope, onOpen }: ViewProps) {
  const { lang } = useI18n();
  const parentKey = setting(view, 'parent') ?? '';
  const shown = namedFields(fields, settingList(view, 'columns')).filter((f) => f.key !== parentKey);
  const columns: TableColumnsType<TreeRow> = shown.map((f) => ({
    key: f.key, dataIndex: f.key, title: fieldLabel(f),
    render: (value: unknown) => renderValue(f, value, lang),
    onCell: (record: TreeRow) => {
      const color = recordColors(view, record, scope).cells[f.key];
      return color ? { style: { background: tint(color) } } : {};
    },
  }));
  return (
    <Table<TreeRow>
      data-testid="view-tree"
      rowKey="id"
      size="middle"
      columns={columns}
      dataSource={buildTree(records, parentKey)}
      expandable={{ defaultExpandAllRows: true }}
      pagination={false}
      scroll={{ x: 'max-content' }}
      onRow={(record) => {
        const color = recordColors(view, record, scope).record;
        return { onClick: () => onOpen(record.id), className: 'rt-row-link',
          style: color ? { background: tint(color) } : undefined };
      }}
    />
  );
}
