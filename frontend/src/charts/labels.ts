/**
 * The few words the chart renderers print themselves (column, axis and series names come from the report).
 * Kept beside the renderers so this folder stays self-contained; same languages as src/i18n.ts.
 */
import type { Lang } from '../i18n';

const zhCN = {
  empty: '(空)',
  total: '合计',
  rank: '排名',
  versus: '较{period}',
  versusPrevious: '较上期',
  target: '目标 {target} · 完成 {progress}',
  noData: '暂无数据',
  unsupported: '不支持的图表类型：{type}',
  yes: '是',
  no: '否',
};

export type ChartLabel = keyof typeof zhCN;

const LABELS: Record<Lang, Record<ChartLabel, string>> = {
  'zh-CN': zhCN,
  'en-US': {
    empty: '(empty)',
    total: 'Total',
    rank: 'Rank',
    versus: 'vs {period}',
    versusPrevious: 'vs previous',
    target: 'Target {target} · {progress} reached',
    noData: 'No data',
    unsupported: 'Unsupported chart type: {type}',
    yes: 'Yes',
    no: 'No',
  },
};

export function chartLabel(lang: Lang, key: ChartLabel, vars: Record<string, string> = {}): string {
  return LABELS[lang][key].replace(/\{(\w+)\}/g, (match, name: string) => vars[name] ?? match);
}
