// One ECharts chart (tree-shaken: only the chart types the dashboard uses),
// rendered as SVG, resized with its box, disposed with the component. ECharts'
// ARIA component describes the data to screen readers in the UI's language.
import { useEffect, useRef } from 'preact/hooks';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { locale } from '../lib/i18n';

echarts.use([BarChart, LineChart, PieChart, AriaComponent, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

/** `description` is what a screen reader hears for the chart: its numbers, formatted for the locale. */
export function Chart({ option, description, height = 300 }: { option: ChartOption; description: string; height?: number }) {
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
    chart.current?.setOption({ aria: { enabled: true, label: { description } }, animationDuration: 300, ...option }, true);
  }, [option, description, lang]);
  return <div ref={el} class="chart" style={{ height: `${height}px` }} />;
}
