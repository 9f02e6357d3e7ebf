/**
 * The records of other forms that point at a record (a customer's orders, follow-ups, coupon claims…), from
 * `GET …/records/{id}/related`: one compact list per relation, each record opening on its own page. The server
 * leaves out what the viewer may not read, so the tabs are exactly the viewer's.
 */
import { Badge, Empty, List, Space } from 'antd';
import { Link } from 'react-router-dom';
import type { AppDefinition, RecordData, RelatedGroup } from '../api';
import { useI18n } from '../i18n';
import { findForm } from './context';
import { fieldLabel, fieldsOf, LAYOUT_TYPES, recordTitle, shownAs, valueText } from './fields';

const SHOWN_FIELDS = 3;

/** The tab's name: the form, and the relation when a form points here more than once. */
export function relatedLabel(group: RelatedGroup, all: RelatedGroup[]): string {
  const twice = all.filter((g) => g.form === group.form).length > 1;
  return twice ? `${group.name} · ${group.label}` : group.name;
}

/** A filter for the full list of a top-level relation ("customer = 12"); none through a sub-table. */
export function relatedFilter(group: RelatedGroup, recordId: number): string | null {
  return group.field.includes('.') ? null : `${group.field} = ${recordId}`;
}

/** Relations with records first, in the app's order otherwise. */
export function orderRelated(groups: RelatedGroup[]): RelatedGroup[] {
  return [...groups.filter((g) => g.count), ...groups.filter((g) => !g.count)];
}

export function relatedTabLabel(group: RelatedGroup, all: RelatedGroup[]) {
  return (
    <Space size={4}>
      {relatedLabel(group, all)}
      {/* a count, not an alarm: quiet colours */}
      <Badge count={group.count} showZero size="small" overflowCount={999} className="rt-related__count"
        data-empty={group.count ? undefined : 'true'} />
    </Space>
  );
}

// the fields that tell records apart in a short line: state, amounts, dates
const TELLING_TYPES = ['select', 'money', 'date', 'datetime', 'number'];

function telling(type: string): number {
  const rank = TELLING_TYPES.indexOf(type);
  return rank < 0 ? TELLING_TYPES.length : rank;
}

export function RelatedList({ app, group, recordId }: { app: AppDefinition; group: RelatedGroup; recordId: number }) {
  const { t, lang } = useI18n();
  const form = findForm(app, group.form);
  const base = `/apps/${encodeURIComponent(app.key)}/forms/${encodeURIComponent(group.form)}`;
  if (!group.count) {
    return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.related.empty', { name: group.name })} />;
  }
  // a few telling fields: not the title, not the relation back here nor what it looks up from this record
  const back = group.field.split('.')[0];
  const fields = form ? fieldsOf(form).filter((f) => !LAYOUT_TYPES.has(f.type) && f.type !== 'subtable' &&
    f.key !== form.title_field && f.key !== back && f.relation !== back)
    .map((f) => shownAs(f, form, app.forms))
    .sort((a, b) => telling(a.type) - telling(b.type)) : [];
  const filter = relatedFilter(group, recordId);
  // the same few fields on every line: those most often filled in, telling ones first
  const filled = (f: typeof fields[number]) => group.latest.filter((r) => valueText(f, r[f.key], lang)).length;
  const shown = fields.map((f) => ({ f, n: filled(f) })).filter((c) => c.n).sort((a, b) => b.n - a.n)
    .slice(0, SHOWN_FIELDS).map((c) => c.f);
  const line = (record: RecordData) => shown.filter((f) => valueText(f, record[f.key], lang))
    .map((f) => t('rt.related.pair', { label: fieldLabel(f), value: valueText(f, record[f.key], lang) })).join(' · ');
  return (
    <div data-testid={`related-${group.form}-${group.field}`}>
      <List size="small" dataSource={group.latest} className="rt-related"
        renderItem={(record) => (
          <List.Item>
            <List.Item.Meta
              title={<Link to={`${base}?record=${record.id}`}>{form ? recordTitle(form, record, lang) : `#${record.id}`}</Link>}
              description={line(record) || undefined} />
          </List.Item>
        )} />
      {group.count > group.latest.length && filter ? (
        <Link className="rt-related__all" to={`${base}?filter=${encodeURIComponent(filter)}`}>
          {t('rt.related.viewAll', { count: group.count })}
        </Link>
      ) : null}
    </div>
  );
}
