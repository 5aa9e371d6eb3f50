// One ECharts chart for the Analytics section: the dashboard's Chart with the
// chart types analytics need on top (heat maps, Sankey, graphs for the path
// model and the strategy map, scatter, radar). Loaded with this section only.
import { useEffect, useRef } from 'preact/hooks';
import * as echarts from 'echarts/core';
import { BarChart, GraphChart, HeatmapChart, LineChart, PieChart, RadarChart, SankeyChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent, GridComponent, LegendComponent, MarkLineComponent, RadarComponent, TooltipComponent, VisualMapComponent,
} from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { locale } from '../../lib/i18n';

echarts.use([BarChart, LineChart, PieChart, HeatmapChart, SankeyChart, GraphChart, ScatterChart, RadarChart, AriaComponent,
  GridComponent, LegendComponent, MarkLineComponent, RadarComponent, TooltipComponent, VisualMapComponent, SVGRenderer]);

export type AOption = echarts.EChartsCoreOption;

export const PALETTE = ['#c2410c', '#0f766e', '#2563eb', '#a16207', '#7c3aed', '#be123c', '#4d7c0f', '#0e7490', '#9333ea', '#b45309', '#475569', '#db2777'];

/** `description` is what a screen reader hears for the chart. `onClick` gets the clicked item's data. */
export function AChart({ option, description, height = 300, onClick, name }: {
  option: AOption; description: string; height?: number; onClick?: (p: any) => void; name?: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const lang = locale.value === 'zh-CN' ? 'ZH' : 'EN';
  useEffect(() => {
    const c = echarts.init(el.current!, undefined, { renderer: 'svg', locale: lang });
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current!);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, [lang]);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.setOption({ color: PALETTE, textStyle: { fontFamily: 'inherit' }, aria: { enabled: true, label: { description } }, animationDuration: 300, ...option }, true);
    c.off('click');
    if (onClick) c.on('click', onClick);
  }, [option, description, lang, onClick]);
  return <div ref={el} class="chart" data-chart={name} style={{ height: `${height}px` }} />;
}
