import type uPlot from 'uplot';
import { logAxisLabels } from '../format.ts';
import { logTicks } from '../scale.ts';

/**
 * A log-scale y axis whose ticks and grid lines are the labelled ones (logTicks: a few per range)
 * instead of uPlot's nine per decade, which drew a dense band of grid lines under the curves. The
 * ticks drawn are recorded on `container` as data-y-ticks.
 */
export function logYAxis(container: HTMLElement, style: uPlot.Axis, label: string, size: number): uPlot.Axis {
  return {
    ...style,
    label,
    size,
    splits: (plot: uPlot) => {
      const ticks = logTicks(plot.scales.y!.min!, plot.scales.y!.max!);
      container.dataset.yTicks = ticks.join(',');
      return ticks;
    },
    values: logAxisLabels,
  };
}
