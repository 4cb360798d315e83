import type { DatasetArrays, DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import { gaussianStream, uniformStream } from '../numeric/rng.ts';

export const SHAPES_SIDE = 32;
export const SHAPE_CLASSES = ['background', 'circle', 'square', 'triangle'] as const;
const BACKGROUND = 0.2;
const NOISE = 0.1;
const MIN_SIZE = 4;
const MAX_SIZE = 9;

/** Whether pixel centre (px, py) is inside a shape of class k (1 circle, 2 square, 3 triangle) of size r centred at (cx, cy). */
function inside(k: number, px: number, py: number, cx: number, cy: number, r: number): boolean {
  const dx = px - cx;
  const dy = py - cy;
  if (k === 1) return dx * dx + dy * dy <= r * r;
  if (k === 2) return Math.abs(dx) <= r && Math.abs(dy) <= r;
  // Upward isosceles triangle: apex (cx, cy − r), base from (cx − r, cy + r) to (cx + r, cy + r).
  return dy >= -r && dy <= r && Math.abs(dx) <= (dy + r) / 2;
}

/**
 * The 'shapes' built-in (its BUILTIN_DATASETS entry): per image 1–3 shapes, each drawn from
 * uniformStream(seed) as count, then per shape class (1–3), size r ∈ [4, 9], centre (cx, cy) with
 * the shape inside the image, intensity U[0.5, 1); pixels (centres at +0.5) inside a shape take its
 * class and intensity, later shapes over earlier ones; background 0.2; then N(0, 0.1²) from
 * gaussianStream(seed + 1) on every pixel. Train first, then test.
 */
export function shapesDataset(seed: number, sizes: { train: number; test: number }): DatasetArrays {
  const uniform = uniformStream(seed);
  const normal = gaussianStream(seed + 1);
  const pixels = SHAPES_SIDE * SHAPES_SIDE;
  const build = (n: number): DatasetSplitArrays => {
    const x = new Float32Array(n * pixels).fill(BACKGROUND);
    const y = new Int32Array(n * pixels);
    for (let i = 0; i < n; i++) {
      const shapes = 1 + Math.floor(uniform() * 3);
      for (let s = 0; s < shapes; s++) {
        const k = 1 + Math.floor(uniform() * 3);
        const r = MIN_SIZE + uniform() * (MAX_SIZE - MIN_SIZE);
        const cx = r + uniform() * (SHAPES_SIDE - 2 * r);
        const cy = r + uniform() * (SHAPES_SIDE - 2 * r);
        const intensity = 0.5 + 0.5 * uniform();
        for (let py = 0; py < SHAPES_SIDE; py++) {
          for (let px = 0; px < SHAPES_SIDE; px++) {
            if (!inside(k, px + 0.5, py + 0.5, cx, cy, r)) continue;
            x[i * pixels + py * SHAPES_SIDE + px] = intensity;
            y[i * pixels + py * SHAPES_SIDE + px] = k;
          }
        }
      }
      for (let p = 0; p < pixels; p++) x[i * pixels + p] = x[i * pixels + p]! + NOISE * normal();
    }
    return { x, y, n };
  };
  const train = build(sizes.train);
  const test = build(sizes.test);
  return { task: 'segmentation', inputShape: [SHAPES_SIDE, SHAPES_SIDE, 1], classes: SHAPE_CLASSES.length, targetSize: null, train, test };
}
