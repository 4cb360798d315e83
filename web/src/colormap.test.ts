import { describe, expect, it } from 'vitest';
import { COLORMAP_NAMES, colormapTable, parseCssColor, writeColor } from './colormap.ts';

describe('colormap', () => {
  it('parses both color formats of d3-scale-chromatic', () => {
    expect(parseCssColor('#ff8000')).toEqual([1, 128 / 255, 0]);
    expect(parseCssColor('rgb(0, 255, 51)')).toEqual([0, 1, 0.2]);
    expect(() => parseCssColor('hsl(1,2,3)')).toThrow();
  });

  it('tables start and end at the colormap ends (viridis dark purple → yellow)', () => {
    for (const name of COLORMAP_NAMES) expect(colormapTable(name, 16).every((v) => v >= 0 && v <= 1)).toBe(true);
    const viridis = colormapTable('viridis', 256);
    expect(Array.from(viridis.slice(0, 3)).map((v) => Math.round(v * 255))).toEqual([0x44, 0x01, 0x54]);
    const out = new Float32Array(3);
    writeColor(viridis, 1, out, 0);
    expect(out[0]).toBeGreaterThan(0.9);
    expect(out[1]).toBeGreaterThan(0.85);
    writeColor(viridis, 5, out, 0); // clamped
    expect(out[2]).toBeLessThan(0.3);
  });
});
