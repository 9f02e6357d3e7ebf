/** Numbers and cells as the chart renderers print them. */
import { type Lang, translate } from '../i18n';
import { chartLabel } from './labels';
import type { CellValue, NumberFormat, RefValue } from './types';

export function formatNumber(value: number | null | undefined, lang: Lang): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '';
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(value);
}

/** 0.25 → "+25.0%", -0.125 → "-12.5%"; no change to show → "". */
export function formatChange(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return '';
  const percent = (change * 100).toFixed(1);
  return `${change > 0 ? '+' : ''}${percent}%`;
}

/** 0.625 → "62.5%". */
export function formatPercent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '';
  return `${(share * 100).toFixed(1)}%`;
}

/** A number as its column asks: a fraction as a percentage, money with two decimals, else grouped. */
export function formatValue(value: number | null | undefined, lang: Lang, format?: NumberFormat): string {
  if (format === 'percent') return formatPercent(value);
  if (format === 'money' && value !== null && value !== undefined && Number.isFinite(value)) {
    return `¥${new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value)}`;
  }
  return formatNumber(value, lang);
}

export function isRef(value: CellValue): value is RefValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'label' in value;
}

/** A table cell: relations by their label, yes/no in words, numbers grouped, blanks empty. */
export function cellText(value: CellValue | undefined, lang: Lang, format?: NumberFormat): string {
  if (value === null || value === undefined || value === '') return '';
  if (Array.isArray(value)) return value.map((v) => cellText(v, lang, format)).join(translate(lang, 'common.listSeparator'));
  if (isRef(value)) return value.label ?? (value.id === null ? '' : String(value.id));
  if (typeof value === 'boolean') return chartLabel(lang, value ? 'yes' : 'no');
  if (typeof value === 'number') return formatValue(value, lang, format);
  return String(value);
}
