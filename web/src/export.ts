import { FINITE, NON_FINITE, type SurfaceGrid } from './grid.ts';

const STATE_NAMES: Record<number, string> = { 0: 'pending', [FINITE]: 'finite', [NON_FINITE]: 'non-finite' };

/** One row per grid point: ix, iy, alpha, beta, loss, accuracy, state (empty cell = no value). */
export function surfaceToCsv(grid: SurfaceGrid): string {
  const lines = ['ix,iy,alpha,beta,loss,accuracy,state'];
  const cell = (value: number) => (Number.isFinite(value) ? String(value) : '');
  for (let iy = 0; iy < grid.ny; iy++) {
    for (let ix = 0; ix < grid.nx; ix++) {
      const at = iy * grid.nx + ix;
      const beta = grid.kind === '2d' ? String(grid.y[iy]) : '';
      lines.push([ix, iy, grid.x[ix], beta, cell(grid.loss[at]), grid.accuracy ? cell(grid.accuracy[at]) : '', STATE_NAMES[grid.state[at]]].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The API's SurfaceResult layout (loss[iy][ix], null where no finite value), plus what is known about the surface. */
export function surfaceToJson(grid: SurfaceGrid, meta: Record<string, unknown>): string {
  const rows = (values: Float64Array) =>
    Array.from({ length: grid.ny }, (_, iy) => Array.from(values.subarray(iy * grid.nx, (iy + 1) * grid.nx), (v) => (Number.isFinite(v) ? v : null)));
  return JSON.stringify(
    {
      ...meta,
      kind: grid.kind,
      axes: { x: Array.from(grid.x), y: grid.kind === '2d' ? Array.from(grid.y) : null },
      shape: [grid.ny, grid.nx],
      loss: rows(grid.loss),
      accuracy: grid.accuracy ? rows(grid.accuracy) : null,
      computed: grid.computed,
    },
    null,
    1,
  );
}

/** Saves a blob under a file name through a temporary link (the browser's download prompt). */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  downloadUrl(url, fileName);
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Saves what `url` answers as `fileName` (same origin: the browser downloads instead of navigating). */
export function downloadUrl(url: string, fileName: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
}
