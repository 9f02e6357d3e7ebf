/**
 * Calendar: each record on the day of the view's `date` field, and on every day up to `end` when set; a month
 * at a time (antd Calendar). The title is the view's `title` field, else the form's title.
 */
import { useState } from 'react';
import { Calendar, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import dayjs from 'dayjs';
import type { RecordData } from '../../api';
import { useI18n } from '../../i18n';
import { recordTitle, valueText } from '../fields';
import { dayOf, recordColors, setting, tint, type ViewProps } from './model';

/** The records on a day ("YYYY-MM-DD"): from their date through their end (or that day alone). */
export function recordsOn(records: RecordData[], day: string, dateKey: string, endKey?: string): RecordData[] {
  return records.filter((r) => {
    const start = dayOf(r[dateKey]);
    if (!start) return false;
    const end = (endKey && dayOf(r[endKey])) || start;
    return start <= day && day <= (end < start ? start : end);
  });
}

export function CalendarView({ view, form, fields, records, scope, onOpen }: ViewProps) {
  const { lang } = useI18n();
  const dateKey = setting(view, 'date') ?? '';
  const endKey = setting(view, 'end');
  const titleField = fields.find((f) => f.key === setting(view, 'title'));
  const first = records.map((r) => dayOf(r[dateKey])).find((d) => d);
  const [month, setMonth] = useState<Dayjs>(() => (first ? dayjs(first) : dayjs()));
  const title = (record: RecordData) =>
    (titleField ? valueText(titleField, record[titleField.key], lang) : '') || recordTitle(form, record, lang);

  const cellRender = (date: Dayjs, info: { type: string; originNode: React.ReactNode }) => {
    if (info.type !== 'date') return info.originNode;
    const day = date.format('YYYY-MM-DD');
    const on = recordsOn(records, day, dateKey, endKey);
    return (
      <ul className="rt-calendar__events">
        {on.slice(0, 4).map((record) => {
          const color = recordColors(view, record, scope).record;
          return (
            <li key={record.id}>
              <button type="button" className="rt-calendar__event" data-testid="calendar-event"
                style={color ? { background: tint(color), borderInlineStartColor: color } : undefined}
                onClick={(e) => { e.stopPropagation(); onOpen(record.id); }} title={title(record)}>
                {title(record)}
              </button>
            </li>
          );
        })}
        {on.length > 4 ? <li><Typography.Text type="secondary">+{on.length - 4}</Typography.Text></li> : null}
      </ul>
    );
  };

  return (
    <div data-testid="view-calendar" className="rt-calendar">
      <Calendar value={month} mode="month" cellRender={cellRender}
        onPanelChange={(value) => setMonth(value)} onSelect={(value) => setMonth(value)} />
    </div>
  );
}
