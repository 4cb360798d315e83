import { describe, expect, it } from 'vitest';
import { formatTick, logAxisLabels } from './format.ts';
import { logTicks } from './scale.ts';

describe('log-axis tick labels', () => {
  it('print small and large round ticks in short exponent form, never as 0', () => {
    expect(formatTick(1e-5)).toBe('1e-5');
    expect(formatTick(2e-7)).toBe('2e-7');
    expect(formatTick(5e-4)).toBe('5e-4');
    expect(formatTick(0.001)).toBe('0.001');
    expect(formatTick(0.02)).toBe('0.02');
    expect(formatTick(300)).toBe('300');
    expect(formatTick(2e6)).toBe('2e+6');
    expect(formatTick(0)).toBe('0');
  });

  it('label every tick of a log axis spanning 1e-7 to 10 distinctly, and leave filtered ticks blank', () => {
    const ticks = logTicks(1e-7, 10);
    const labels = logAxisLabels(null, ticks);
    expect(labels).not.toContain('0');
    expect(new Set(labels).size).toBe(ticks.length);
    expect(labels.map(Number)).toEqual(ticks);
    expect(logAxisLabels(null, [1e-5, null, 0.1])).toEqual(['1e-5', '', '0.1']);
  });
});
