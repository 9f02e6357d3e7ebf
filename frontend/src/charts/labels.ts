/** The few words the chart renderers print themselves (column, axis and series names come from the report). */
import { type Lang, type MessageKey, translate } from '../i18n';

export type ChartLabel =
  | 'empty' | 'total' | 'rank' | 'versus' | 'versusPrevious' | 'target' | 'noData' | 'unsupported' | 'yes' | 'no';

export function chartLabel(lang: Lang, key: ChartLabel, vars: Record<string, string> = {}): string {
  return translate(lang, `chart.${key}` as MessageKey, vars);
}
