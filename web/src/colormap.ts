import {
  interpolateCividis,
  interpolateInferno,
  interpolateMagma,
  interpolatePlasma,
  interpolateRdBu,
  interpolateTurbo,
  interpolateViridis,
} from 'd3-scale-chromatic';

export const COLORMAPS = {
  viridis: interpolateViridis,
  magma: interpolateMagma,
  inferno: interpolateInferno,
  plasma: interpolatePlasma,
  cividis: interpolateCividis,
  turbo: interpolateTurbo,
  /** Diverging, for signed values around 0 (difference surfaces): RdBu reversed, so negative is blue and positive red. */
  rdbu: (t: number) => interpolateRdBu(1 - t),
} as const;

/** The colormap of difference surfaces, drawn over a range symmetric about 0 so that white is no difference. */
export const DIVERGING_COLORMAP: ColormapName = 'rdbu';

export type ColormapName = keyof typeof COLORMAPS;
export const COLORMAP_NAMES = Object.keys(COLORMAPS) as ColormapName[];

export function isColormapName(name: string): name is ColormapName {
  return Object.hasOwn(COLORMAPS, name);
}

/** d3-scale-chromatic answers either "#rrggbb" or "rgb(r, g, b)"; both become [0, 1] floats. */
export function parseCssColor(css: string): [number, number, number] {
  if (css.startsWith('#') && css.length === 7) {
    return [0, 2, 4].map((offset) => parseInt(css.slice(1 + offset, 3 + offset), 16) / 255) as [number, number, number];
  }
  const match = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(css);
  if (!match) throw new Error(`unexpected color format: ${css}`);
  return [Number(match[1]) / 255, Number(match[2]) / 255, Number(match[3]) / 255];
}

/** A colormap sampled at `size` evenly spaced points: RGB floats, 3 per entry, so vertex coloring is a table look-up. */
export function colormapTable(name: ColormapName, size = 256): Float32Array {
  const table = new Float32Array(size * 3);
  const interpolate = COLORMAPS[name];
  for (let i = 0; i < size; i++) table.set(parseCssColor(interpolate(i / (size - 1))), i * 3);
  return table;
}

/** Writes the color at t ∈ [0, 1] into out[offset..offset+2]. */
export function writeColor(table: Float32Array, t: number, out: Float32Array | Uint8ClampedArray, offset: number, scale = 1): void {
  const entries = table.length / 3;
  const i = Math.min(entries - 1, Math.max(0, Math.round(t * (entries - 1)))) * 3;
  out[offset] = table[i] * scale;
  out[offset + 1] = table[i + 1] * scale;
  out[offset + 2] = table[i + 2] * scale;
}

/** The table in linear RGB, which WebGL vertex colors expect (three.js converts to sRGB on output). */
export function linearTable(table: Float32Array): Float32Array {
  return table.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
}
