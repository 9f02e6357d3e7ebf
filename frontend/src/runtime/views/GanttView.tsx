/**
 * Gantt (timeline): a bar per record from its `start` to its `end` day on a shared day scale, in lanes by the
 * view's `group` field. Drawn with plain CSS positions in percent, so it fits any width; a record without a
 * start is left out (and counted), one without an end is a one-day bar.
 */
import { Empty, Tooltip, Typography } from 'antd';
import dayjs from 'dayjs';
import type { RecordData } from '../../api';
import { useI18n } from '../../i18n';
import { recordTitle, valueText } from '../fields';
import {
  addDays, daysBetween, dayOf, groupRecords, recordColors, setting, tint, type ViewProps,
} from './model';

const DEFAULT_COLOR = '#1677ff';

export interface Bar {
  record: RecordData;
  start: string;
  end: string;
}

/** Bars of the records with a start day, and the day range that holds them all. */
export function ganttBars(records: RecordData[], startKey: string, endKey: string) {
  const bars: Bar[] = [];
  for (const record of records) {
    const start = dayOf(record[startKey]);
    if (!start) continue;
    const end = dayOf(record[endKey]);
    bars.push({ record, start, end: end && end >= start ? end : start });
  }
  if (!bars.length) return { bars, from: '', days: 0 };
  const from = bars.reduce((m, b) => (b.start < m ? b.start : m), bars[0].start);
  const to = bars.reduce((m, b) => (b.end > m ? b.end : m), bars[0].end);
  return { bars, from, days: daysBetween(from, to) + 1 };
}

export function GanttView({ view, form, fields, records, scope, onOpen }: ViewProps) {
  const { t, lang } = useI18n();
  const { bars, from, days } = ganttBars(records, setting(view, 'start') ?? '', setting(view, 'end') ?? '');
  const labelField = fields.find((f) => f.key === setting(view, 'label'));
  const groupField = fields.find((f) => f.key === setting(view, 'group'));
  if (!bars.length) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.view.noDates')} />;

  const pct = (n: number) => `${(n / days) * 100}%`;
  const label = (record: RecordData) =>
    (labelField ? valueText(labelField, record[labelField.key], lang) : '') || recordTitle(form, record, lang);
  const lanes = groupField
    ? groupRecords(bars.map((b) => b.record), groupField).map((g) => ({
      title: valueText(groupField, g.value, lang) || t('rt.view.noValue'),
      bars: bars.filter((b) => g.records.includes(b.record)),
    }))
    : [{ title: '', bars }];
  // ticks: every day on short spans, the first of each month on long ones
  const ticks: { day: string; at: number; text: string }[] = [];
  for (let i = 0; i < days; i += 1) {
    const day = addDays(from, i);
    if (days <= 45 || day.endsWith('-01') || i === 0) {
      // the first day and each month's first carry the month too
      const monthDay = `${Number(day.slice(5, 7))}/${Number(day.slice(8))}`;
      const text = days > 45 ? day.slice(0, 7) : i === 0 || day.endsWith('-01') ? monthDay : day.slice(8);
      ticks.push({ day, at: i, text });
    }
  }
  const today = dayjs().format('YYYY-MM-DD'); // the viewer's own calendar day
  const todayAt = daysBetween(from, today);
  const left = records.length - bars.length;

  return (
    <div className="rt-gantt" data-testid="view-gantt">
      <div className="rt-gantt__row rt-gantt__row--head">
        <div className="rt-gantt__label">
          <Typography.Text type="secondary">{`${from} ~ ${addDays(from, days - 1)}`}</Typography.Text>
        </div>
        <div className="rt-gantt__track">
          {ticks.map((tick) => (
            <span key={tick.day} className="rt-gantt__tick"
              style={{ left: pct(tick.at), width: days <= 45 ? pct(1) : undefined }}>
              {tick.text}
            </span>
          ))}
        </div>
      </div>
      {lanes.map((lane) => (
        <div key={lane.title} className="rt-gantt__lane">
          {groupField ? <div className="rt-gantt__lane-title">{lane.title}</div> : null}
          {lane.bars.map((bar) => {
            const color = recordColors(view, bar.record, scope).record ?? DEFAULT_COLOR;
            const text = label(bar.record);
            return (
              <div key={bar.record.id} className="rt-gantt__row">
                <div className="rt-gantt__label" title={text}>{recordTitle(form, bar.record, lang)}</div>
                <div className="rt-gantt__track">
                  {todayAt >= 0 && todayAt < days
                    ? <span className="rt-gantt__today" style={{ left: pct(todayAt + 0.5) }} /> : null}
                  <Tooltip title={`${text} · ${bar.start} ~ ${bar.end}`}>
                    <button type="button" className="rt-gantt__bar" data-testid="gantt-bar"
                      style={{ left: pct(daysBetween(from, bar.start)), width: pct(daysBetween(bar.start, bar.end) + 1),
                        background: tint(color), borderColor: color }}
                      onClick={() => onOpen(bar.record.id)}>
                      {text}
                    </button>
                  </Tooltip>
                </div>
              </div>
            );
          })}
        </div>
      ))}
      {left > 0 ? (
        <Typography.Text type="secondary" className="rt-view__note">{t('rt.view.undated', { count: left })}</Typography.Text>
      ) : null}
    </div>
  );
}
