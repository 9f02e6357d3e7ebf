import { describe, expect, it } from 'vitest';
import { drillOf } from './EChart';
import { cellText, formatChange, formatNumber, formatPercent, formatValue } from './format';
import { CHART_KINDS, chartKind } from './registry';

describe('chart formatting', () => {
  it('groups thousands and keeps at most two decimals', () => {
    expect(formatNumber(12500.456, 'zh-CN')).toBe('12,500.46');
    expect(formatNumber(97, 'en-US')).toBe('97');
    expect(formatNumber(null, 'zh-CN')).toBe('');
  });

  it('signs a change as a percentage', () => {
    expect(formatChange(1.0802)).toBe('+108.0%');
    expect(formatChange(-0.25)).toBe('-25.0%');
    expect(formatChange(0)).toBe('0.0%');
    expect(formatChange(null)).toBe('');
    expect(formatPercent(0.625)).toBe('62.5%');
  });

  it('shows relations by label, yes/no in words and blanks as nothing', () => {
    expect(cellText({ id: 3, label: '王团长' }, 'zh-CN')).toBe('王团长');
    expect(cellText(true, 'zh-CN')).toBe('是');
    expect(cellText(false, 'en-US')).toBe('No');
    expect(cellText(null, 'zh-CN')).toBe('');
    expect(cellText(['vip', { id: 1, label: '深圳' }], 'zh-CN')).toBe('vip、深圳');
    expect(cellText(8200.5, 'zh-CN')).toBe('8,200.5');
    expect(cellText('2026-03', 'zh-CN')).toBe('2026-03');
  });
});

describe('chart registry', () => {
  it('knows how to draw every server chart type', () => {
    expect(Object.keys(CHART_KINDS)).toHaveLength(17);
    expect(chartKind('bar')).toBe('echarts');
    expect(chartKind('kpi')).toBe('kpi');
    expect(chartKind('toString')).toBeUndefined();
  });

  it('reads the drill filter off a clicked data point', () => {
    expect(drillOf({ value: 5200.5, drill: 'leader = 3' })).toBe('leader = 3');
    expect(drillOf(5200.5)).toBeUndefined();
    expect(drillOf([1, 0, 12])).toBeUndefined();
    expect(drillOf({ value: 1, drill: '' })).toBeUndefined();
  });
});

describe('number formats asked for by a report column', () => {
  it('prints fractions as percentages and money with two decimals', () => {
    expect(formatValue(0.125, 'zh-CN', 'percent')).toBe('12.5%');
    expect(formatValue(1234.5, 'zh-CN', 'money')).toBe('¥1,234.50');
    expect(formatValue(1234.5, 'zh-CN')).toBe('1,234.5');
    expect(formatValue(null, 'zh-CN', 'money')).toBe('');
    expect(cellText(0.5, 'en-US', 'percent')).toBe('50.0%');
  });
});
