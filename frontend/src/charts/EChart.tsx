/** One ECharts instance in a div: follows its container's size, redraws on a new option, reports drill clicks. */
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import {
  BarChart, FunnelChart, GaugeChart, HeatmapChart, LineChart, PieChart, RadarChart, ScatterChart,
} from 'echarts/charts';
import {
  GridComponent, LegendComponent, RadarComponent, TooltipComponent, VisualMapComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

// Only what the server's chart types use, so the bundle carries no unused chart code.
echarts.use([
  BarChart, FunnelChart, GaugeChart, HeatmapChart, LineChart, PieChart, RadarChart, ScatterChart,
  GridComponent, LegendComponent, RadarComponent, TooltipComponent, VisualMapComponent, CanvasRenderer,
]);

/** The drill filter the server put on a clicked data point, if any. */
export function drillOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const drill = (data as { drill?: unknown }).drill;
  return typeof drill === 'string' && drill ? drill : undefined;
}

export interface EChartProps {
  option: Record<string, unknown>;
  height: number;
  onDrill?: (filter: string) => void;
}

export function EChart({ option, height, onDrill }: EChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const drill = useRef(onDrill);

  useEffect(() => {
    drill.current = onDrill;
  }, [onDrill]);

  useEffect(() => {
    const element = box.current;
    if (!element) return undefined;
    const instance = echarts.init(element);
    chart.current = instance;
    instance.on('click', (params) => {
      const filter = drillOf((params as { data?: unknown }).data);
      if (filter) drill.current?.(filter);
    });
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(element);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={box} className="report-chart-echarts" style={{ width: '100%', height }} />;
}
