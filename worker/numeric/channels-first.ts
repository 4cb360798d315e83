/** Row-major [n, h, w, c] → [n, c, h, w]: NHWC samples for a channels-first (PyTorch-exported) graph. */
export function toChannelsFirst(x: Float32Array, n: number, [h, w, c]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  const plane = h! * w!;
  for (let s = 0; s < n; s++) {
    const base = s * plane * c!;
    for (let p = 0; p < plane; p++) for (let k = 0; k < c!; k++) out[base + k * plane + p] = x[base + p * c! + k]!;
  }
  return out;
}
