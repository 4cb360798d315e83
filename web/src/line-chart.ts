import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { logAxisLabels } from './format.ts';
import { logRange, logTicks } from './scale.ts';
import type { ThemeColors } from './theme.ts';

export interface LineChartOptions {
  title: string;
  xLabel: string;
  /** Fixed chart height in CSS pixels; the width follows the container. */
  height: number;
  /** Small chart: no legend and no axis titles (the title names the series). Default false. */
  compact?: boolean;
  /** Called with the data index under the mouse (uPlot snaps to the nearest point). */
  onCursor?(index: number): void;
}

export interface LineSeries {
  x: ArrayLike<number>;
  loss: ArrayLike<number>;
  /** In [0, 1]; null when the loss has no accuracy (regression). */
  accuracy: ArrayLike<number> | null;
  /** Names the curves when there are several (the split of a surface evaluated on train and test). */
  name?: string;
  /** Further curves over the same x, drawn in a second color (a 1D surface's other split). */
  more?: { name: string; loss: ArrayLike<number>; accuracy: ArrayLike<number> | null }[];
  /** Standard error of the first curve's loss over the samples (NaN where unknown): drawn as a band loss ± se. */
  lossStdError?: ArrayLike<number> | null;
}

/** The band's fill and its edges: the first loss color, faint. */
const STD_ERROR_FILL = 'rgba(59, 91, 219, 0.18)';
const STD_ERROR_EDGE = 'rgba(59, 91, 219, 0.45)';

/** Loss and accuracy colors of the first curve, then of each further one. */
const CURVE_COLORS = [
  { loss: '#3b5bdb', accuracy: '#e8590c' },
  { loss: '#2b8a3e', accuracy: '#c2255c' },
];

const toGaps = (values: ArrayLike<number>, scale = 1, positiveOnly = false) =>
  Array.from(values, (v) => (Number.isFinite(v) && (!positiveOnly || v > 0) ? v * scale : null));

/**
 * Loss (left axis, optionally log) and accuracy in % (right axis) along one axis, by uPlot: the
 * 1D surface chart and the slices through the cursor of a 2D surface. A vertical rule marks `markerX`.
 */
export class LineChart {
  readonly element = document.createElement('div');
  private plot: uPlot | null = null;
  private series: LineSeries | null = null;
  private markerX: number | null = null;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly container: HTMLElement,
    private options: LineChartOptions,
    private theme: ThemeColors,
    private log = false,
  ) {
    this.element.className = 'line-chart';
    container.append(this.element);
    this.resizeObserver = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: this.options.height }));
    this.resizeObserver.observe(container);
  }

  setData(series: LineSeries, markerX: number | null = null): void {
    const shape = (s: LineSeries) => `${s.accuracy === null}:${(s.more ?? []).map((m) => m.name).join()}:${Boolean(s.lossStdError)}`;
    const rebuild = !this.plot || !this.series || shape(this.series) !== shape(series);
    this.series = series;
    this.markerX = markerX;
    if (rebuild) this.build();
    else this.plot!.setData(this.data());
  }

  /** Moves the vertical rule without touching the data (so it cannot re-trigger the cursor hook). */
  setMarker(markerX: number | null): void {
    this.markerX = markerX;
    this.plot?.redraw(false, false);
  }

  /** Changes the title without rebuilding the chart (slices retitle on every cursor move). */
  setTitle(title: string): void {
    this.options.title = title;
    const element = this.plot?.root.querySelector('.u-title');
    if (element) element.textContent = title;
  }

  setLog(log: boolean): void {
    this.log = log;
    if (this.series) this.build();
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    if (this.series) this.build();
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.element.remove();
  }

  private width(): number {
    return Math.max(200, this.container.clientWidth - 4);
  }

  private data(): uPlot.AlignedData {
    const { x, loss, accuracy, more = [], lossStdError } = this.series!;
    const columns: (number | null)[][] = [Array.from(x), toGaps(loss, 1, this.log)];
    if (accuracy) columns.push(toGaps(accuracy, 100));
    for (const curve of more) {
      columns.push(toGaps(curve.loss, 1, this.log));
      if (accuracy) columns.push(curve.accuracy ? toGaps(curve.accuracy, 100) : Array.from(x, () => null));
    }
    if (lossStdError) {
      // The band's edges, last: loss + se, then loss − se (gaps where either is unknown).
      const edge = (sign: number) => toGaps(Float64Array.from(loss, (v, i) => v + sign * lossStdError[i]!), 1, this.log);
      columns.push(edge(1), edge(-1));
    }
    return columns as uPlot.AlignedData;
  }

  /** Series in the plot, x included (the columns of data()). */
  private seriesCount(): number {
    const { accuracy, more = [], lossStdError } = this.series!;
    const perCurve = accuracy ? 2 : 1;
    return 1 + perCurve * (1 + more.length) + (lossStdError ? 2 : 0);
  }

  private build(): void {
    this.plot?.destroy();
    const theme = this.theme;
    const axisStyle = { stroke: theme.foreground, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid, width: 1 } };
    const hasAccuracy = this.series!.accuracy !== null;
    const compact = this.options.compact ?? false;
    const options: uPlot.Options = {
      title: this.options.title,
      legend: { show: !this.options.compact },
      width: this.width(),
      height: this.options.height,
      scales: {
        x: { time: false },
        // A log axis spans the data (padded by 15 %), not whole decades: a loss up to 13 is not drawn up to 100.
        loss: this.log ? { distr: 3, log: 10, range: (_u, min, max) => logRange(min, max) } : { distr: 1 },
        ...(hasAccuracy ? { pct: { range: [0, 100] as [number, number] } } : {}),
      },
      series: [
        { label: this.options.xLabel, value: (_u, v) => (v === null ? '—' : v.toFixed(4)) },
        ...[{ name: this.series!.name }, ...(this.series!.more ?? [])].flatMap((curve, k): uPlot.Series[] => {
          const colors = CURVE_COLORS[Math.min(k, CURVE_COLORS.length - 1)]!;
          const prefix = curve.name ? `${curve.name} ` : '';
          return [
            { label: `${prefix}loss`, scale: 'loss', stroke: colors.loss, width: 2, spanGaps: false, value: (_u, v) => (v === null ? '—' : String(Number(v.toPrecision(5)))) },
            ...(hasAccuracy
              ? [{ label: `${prefix}accuracy %`, scale: 'pct', stroke: colors.accuracy, width: 1.5, dash: [6, 4], spanGaps: false, value: (_u: uPlot, v: number | null) => (v === null ? '—' : v.toFixed(2)) }]
              : []),
          ];
        }),
        ...(this.series!.lossStdError
          ? (['+', '−'] as const).map((sign): uPlot.Series => ({
              label: `${this.series!.name ? `${this.series!.name} ` : ''}loss ${sign} se`, scale: 'loss', stroke: STD_ERROR_EDGE, width: 1, spanGaps: false,
              points: { show: false }, value: (_u, v) => (v === null ? '—' : String(Number(v.toPrecision(5)))),
            }))
          : []),
      ],
      // The sampling standard error as a band around the first loss curve (the last two series).
      ...(this.series!.lossStdError ? { bands: [{ series: [this.seriesCount() - 2, this.seriesCount() - 1] as [number, number], fill: STD_ERROR_FILL }] } : {}),
      axes: [
        { ...axisStyle, label: compact ? undefined : this.options.xLabel },
        {
          ...axisStyle,
          scale: 'loss',
          label: compact ? undefined : this.log ? 'loss (log)' : 'loss',
          size: compact ? 44 : 56,
          ...(this.log ? { splits: (u: uPlot) => logTicks(u.scales.loss!.min!, u.scales.loss!.max!), values: logAxisLabels } : {}),
        },
        // Wide enough for "100" in full at the right edge.
        ...(hasAccuracy ? [{ ...axisStyle, scale: 'pct', side: 1 as const, label: compact ? undefined : 'accuracy %', grid: { show: false }, size: compact ? 44 : 54 }] : []),
      ],
      hooks: {
        setCursor: [
          (plot: uPlot) => {
            const index = plot.cursor.idx;
            if (index !== null && index !== undefined) this.options.onCursor?.(index);
          },
        ],
        draw: [
          (plot: uPlot) => {
            if (this.markerX === null) return;
            const left = plot.valToPos(this.markerX, 'x', true);
            const context = plot.ctx;
            context.save();
            context.strokeStyle = theme.accent;
            context.setLineDash([4, 3]);
            context.beginPath();
            context.moveTo(left, plot.bbox.top);
            context.lineTo(left, plot.bbox.top + plot.bbox.height);
            context.stroke();
            context.restore();
          },
        ],
      },
    };
    this.plot = new uPlot(options, this.data(), this.element);
  }
}
