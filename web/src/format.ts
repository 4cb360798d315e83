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
