import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { GradientFlow } from '../../../contract/metrics/gradient-flow.ts';
import { formatNumber } from '../format.ts';
import { logYAxis } from './log-axis.ts';
import type { ThemeColors } from '../theme.ts';

export interface FlowSeries {
  /** "<member> · <flow label>" */
  label: string;
  /** Per-kernel rms gradient, by depth index; null past this network's depth or where 0. */
  values: (number | null)[];
  /** Solid for initialisation, dashed for anything else (e.g. trained). */
  dashed: boolean;
  colorIndex: number;
}

/** uPlot-ready series of per-layer gradient rms, x = depth index (0 = nearest the input). */
export function flowSeries(members: { label: string; gradientFlow: GradientFlow[] }[]): { x: number[]; series: FlowSeries[] } {
  const depth = Math.max(0, ...members.flatMap((m) => m.gradientFlow.map((f) => f.layers.length)));
  const series = members.flatMap((m, colorIndex) =>
    m.gradientFlow.map((f) => ({
      label: `${m.label} · ${f.label}`,
      values: Array.from({ length: depth }, (_, i) => {
        const rms = f.layers[i]?.rms;
        return rms !== undefined && rms > 0 && Number.isFinite(rms) ? rms : null;
      }),
      dashed: !/init/i.test(f.label),
      colorIndex,
    })),
  );
  return { x: Array.from({ length: depth }, (_, i) => i), series };
}

const PALETTE = ['#3b5bdb', '#e8590c', '#2b8a3e', '#c2255c', '#5f3dc4', '#0b7285'];
const DASH = [6, 4];
const SVG = 'http://www.w3.org/2000/svg';

/**
 * The legend under the plot: each series with a swatch drawn as its line is (solid for
 * initialisation, dashed for trained, in the member's color), which uPlot's square markers cannot show.
 */
export function flowLegend(series: FlowSeries[]): HTMLUListElement {
  const list = document.createElement('ul');
  list.className = 'flow-legend';
  for (const s of series) {
    const item = document.createElement('li');
    item.dataset.dashed = String(s.dashed);
    const swatch = document.createElementNS(SVG, 'svg');
    swatch.setAttribute('width', '36');
    swatch.setAttribute('height', '10');
    swatch.setAttribute('aria-hidden', 'true');
    const line = document.createElementNS(SVG, 'line');
    for (const [name, value] of [['x1', '1'], ['y1', '5'], ['x2', '35'], ['y2', '5'], ['stroke', PALETTE[s.colorIndex % PALETTE.length]!], ['stroke-width', '2']]) line.setAttribute(name!, value!);
    if (s.dashed) line.setAttribute('stroke-dasharray', DASH.join(' '));
    swatch.append(line);
    item.append(swatch, document.createTextNode(s.label));
    list.append(item);
  }
  return list;
}

/** Log-scale plot of per-layer gradient rms (input → output) for every member and parameter set. */
export function renderGradientFlow(container: HTMLElement, members: { label: string; gradientFlow: GradientFlow[] }[], theme: ThemeColors): uPlot | null {
  const { x, series } = flowSeries(members);
  if (series.length === 0 || x.length === 0) {
    container.textContent = 'No gradient flow was recorded for this comparison.';
    return null;
  }
  const axisStyle = { stroke: theme.foreground, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid, width: 1 } };
  const options: uPlot.Options = {
    title: 'Gradient flow: rms of ∂L/∂W per layer (solid: initialisation, dashed: trained)',
    width: Math.max(320, container.clientWidth - 4),
    height: 320,
    legend: { show: false },
    scales: { x: { time: false }, y: { distr: 3 } },
    series: [
      { label: 'layer', value: (_u, v) => (v === null ? '—' : String(v)) },
      ...series.map((s) => ({
        label: s.label,
        stroke: PALETTE[s.colorIndex % PALETTE.length]!,
        width: 2,
        ...(s.dashed ? { dash: DASH } : {}),
        points: { show: true, size: 4 },
        spanGaps: false,
        value: (_u: uPlot, v: number | null) => formatNumber(v),
      })),
    ],
    axes: [
      // Layers are whole numbers.
      { ...axisStyle, label: 'layer (0 = input side)', incrs: [1, 2, 5, 10, 20, 50, 100] },
      logYAxis(container, axisStyle, 'gradient rms (log)', 70),
    ],
  };
  const plot = new uPlot(options, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, container);
  container.append(flowLegend(series));
  return plot;
}
