/** Numbers as the viewer prints them: enough digits to compare surfaces, never exponent noise for ordinary values. */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}

export function formatPercent(share: number | null | undefined, digits = 1): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—';
  return `${(share * 100).toFixed(digits)} %`;
}

/** Axis coordinates (α, β): fixed decimals so a column of them lines up. */
export function formatCoordinate(value: number | null): string {
  return value === null ? '—' : Number(value.toFixed(4)).toString();
}

/** A grid point of the report: "α = 0.2" on a line, "(0.2, -0.4)" in a plane. */
export function formatPoint(alpha: number, beta: number | null): string {
  return beta === null ? `α = ${formatCoordinate(alpha)}` : `(${formatCoordinate(alpha)}, ${formatCoordinate(beta)})`;
}

/** " ± se" after a figure whose standard error is known, else nothing. */
export function formatPlusMinus(stdError: number | null | undefined, digits = 2): string {
  return stdError === null || stdError === undefined ? '' : ` ± ${formatNumber(stdError, digits)}`;
}

/**
 * A round axis tick (1-2-5 × 10^k) as short as it can be: 0.02, 300, 1e-5, 2e+6. Never "0" for a
 * small tick, as uPlot's default locale format (at most 3 decimals) prints 1e-5.
 */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const rounded = Number(value.toPrecision(3));
  const magnitude = Math.abs(rounded);
  return magnitude >= 1e5 || magnitude < 1e-3 ? rounded.toExponential() : String(rounded);
}

/** uPlot's `values` for a log axis: every tick by formatTick; ticks its filter left out (null) unlabelled. */
export function logAxisLabels(_plot: unknown, splits: readonly (number | null)[]): string[] {
  return splits.map((v) => (v === null || v === undefined ? '' : formatTick(v)));
}
