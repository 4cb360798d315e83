import { unzipSync } from 'fflate';
import { OBJLoader } from 'three/examples/jsm/loaders/OBJLoader.js';
import { STLLoader } from 'three/examples/jsm/loaders/STLLoader.js';
import type { Mesh } from 'three';
import { describe, expect, it } from 'vitest';
import type { SurfaceResult } from '../surface.ts';
import { exportSurface } from './formats.ts';
import { readH5 } from './h5.ts';

/** A non-square 5 × 3 surface with f(x, y) = x + 10·y + 100, so every value tells where it sits. */
function surface(options: { hole?: boolean; split?: 'train' | 'test' } = {}): SurfaceResult {
  const x = [-1, -0.5, 0, 0.5, 1];
  const y = [-2, 0, 2];
  const f = (ix: number, iy: number) => x[ix]! + 10 * y[iy]! + 100;
  const loss = y.map((_, iy) => x.map((_, ix) => (options.hole && ix === 1 && iy === 1 ? null : f(ix, iy))));
  const accuracy = y.map((_, iy) => x.map((_, ix) => (options.hole && ix === 1 && iy === 1 ? null : (ix + iy) / 10)));
  return {
    id: 's',
    kind: '2d',
    axes: { x, y },
    shape: [3, 5],
    loss,
    accuracy,
    nonFinite: options.hole ? [{ ix: 1, iy: 1, value: 'Infinity' }] : [],
    provenance: { dataset: { split: options.split ?? 'test' } } as SurfaceResult['provenance'],
  };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const key = (x: number, y: number, z: number) => `${x.toFixed(4)},${y.toFixed(4)},${z.toFixed(3)}`;
const gridPoints = (s: SurfaceResult) =>
  new Set(s.axes.y!.flatMap((yv, iy) => s.axes.x.flatMap((xv, ix) => (s.loss[iy]![ix] === null ? [] : [key(xv, yv, s.loss[iy]![ix]!)]))));

describe('surface exports', () => {
  it('h5: the reference dataset names, shape [ny, nx] filled [iy][ix], accuracy in percent, read back by h5wasm', async () => {
    const s = surface({ hole: true, split: 'train' });
    const bytes = await exportSurface(s, 'h5');
    const read = await readH5(bytes, (file) => {
      const get = (name: string) => {
        const dataset = file.get(name) as unknown as { shape: number[]; value: Float64Array };
        return { shape: dataset.shape, value: dataset.value };
      };
      return {
        keys: file.keys().sort(),
        x: get('xcoordinates').value,
        y: get('ycoordinates').value,
        loss: get('train_loss'),
        acc: get('train_acc'),
      };
    });
    expect(read!.keys).toEqual(['train_acc', 'train_loss', 'xcoordinates', 'ycoordinates']);
    expect(Array.from(read!.x)).toEqual(s.axes.x);
    expect(Array.from(read!.y)).toEqual(s.axes.y);
    expect(read!.loss.shape).toEqual([3, 5]);
    expect(read!.loss.value[1 * 5 + 1]).toBe(Infinity);
    expect(read!.loss.value[2 * 5 + 3]).toBe(0.5 + 10 * 2 + 100);
    expect(read!.acc.value[2 * 5 + 3]).toBeCloseTo(50, 12);
    expect(Number.isNaN(read!.acc.value[1 * 5 + 1])).toBe(true);
  });

  it('npz: loss [ny, nx] float64 with the infinite point kept, axes and accuracy', async () => {
    const files = unzipSync(await exportSurface(surface({ hole: true }), 'npz'));
    expect(Object.keys(files).sort()).toEqual(['accuracy.npy', 'loss.npy', 'provenance.npy', 'x.npy', 'y.npy']);
    const loss = files['loss.npy']!;
    const headerLength = new DataView(loss.buffer, loss.byteOffset).getUint16(8, true);
    expect(text(loss.subarray(10, 10 + headerLength))).toContain("'descr': '<f8', 'fortran_order': False, 'shape': (3, 5)");
    expect((10 + headerLength) % 64).toBe(0);
    const values = new Float64Array(loss.slice(10 + headerLength).buffer);
    expect(values[1 * 5 + 1]).toBe(Infinity);
    expect(values[2 * 5 + 4]).toBe(1 + 20 + 100);
  });

  it('vtp: one point per grid point at (x, y, loss) and (nx−1)(ny−1) quads on a non-square grid', async () => {
    const s = surface();
    const xml = text(await exportSurface(s, 'vtp'));
    expect(xml).toMatch(/NumberOfPoints="15"/);
    expect(xml).toMatch(/NumberOfPolys="8"/);
    const coordinates = /<Points><DataArray[^>]*>([^<]*)</.exec(xml)![1]!.trim().split(/\s+/).map(Number);
    expect(coordinates).toHaveLength(45);
    const points = new Set(Array.from({ length: 15 }, (_, i) => key(coordinates[3 * i]!, coordinates[3 * i + 1]!, coordinates[3 * i + 2]!)));
    expect(points).toEqual(gridPoints(s));
    const offsets = /Name="offsets"[^>]*>([^<]*)</.exec(xml)![1]!.trim().split(/\s+/).map(Number);
    expect(offsets.at(-1)).toBe(32);
  });

  it('vtp: a non-finite point is a hole: no point, and none of the 4 cells around it', async () => {
    const xml = text(await exportSurface(surface({ hole: true }), 'vtp'));
    expect(xml).toMatch(/NumberOfPoints="14"/);
    expect(xml).toMatch(/NumberOfPolys="4"/);
  });

  it('obj: parsed back by three.js OBJLoader, its vertices are the grid points', async () => {
    const s = surface();
    const obj = text(await exportSurface(s, 'obj'));
    expect(obj.split('\n').filter((l) => l.startsWith('v ')).length).toBe(15);
    const mesh = new OBJLoader().parse(obj).children[0] as Mesh;
    const position = mesh.geometry.getAttribute('position');
    expect(position.count).toBe(8 * 2 * 3);
    const seen = new Set(Array.from({ length: position.count }, (_, i) => key(position.getX(i), position.getY(i), position.getZ(i))));
    expect(seen).toEqual(gridPoints(s));
  });

  it('stl: parsed back by three.js STLLoader, 2·(nx−1)(ny−1) triangles over exactly the grid points', async () => {
    const s = surface();
    const bytes = await exportSurface(s, 'stl');
    const geometry = new STLLoader().parse(bytes.slice().buffer);
    const position = geometry.getAttribute('position');
    expect(position.count).toBe(16 * 3);
    const seen = new Set(Array.from({ length: position.count }, (_, i) => key(position.getX(i), position.getY(i), position.getZ(i))));
    expect(seen).toEqual(gridPoints(s));
    expect(seen.size).toBe(15);
  });

  it('csv: one row per grid point, row-major, Infinity written out', async () => {
    const rows = text(await exportSurface(surface({ hole: true }), 'csv')).trim().split('\n');
    expect(rows[0]).toBe('ix,iy,x,y,loss,accuracy');
    expect(rows).toHaveLength(16);
    expect(rows[1 + 1 * 5 + 1]).toBe('1,1,-0.5,0,Infinity,NaN');
    expect(rows[1 + 2 * 5 + 4]).toBe('4,2,1,2,121,0.6');
  });

  it('stl of a 1D surface is refused naming the format', async () => {
    const line: SurfaceResult = { ...surface(), kind: '1d', axes: { x: [0, 1], y: null }, shape: [1, 2], loss: [[1, 2]], accuracy: null };
    await expect(exportSurface(line, 'stl')).rejects.toThrow(/format: STL holds triangles/);
  });

  it('h5, npz and csv carry the standard errors of the loss when the surface has them', async () => {
    const s: SurfaceResult = { ...surface({ split: 'train' }), lossStdError: [[0.1, 0.2, 0.3, 0.4, 0.5], [0.6, 0.7, 0.8, 0.9, 1], [1.1, 1.2, 1.3, 1.4, null]] };
    const h5 = await readH5(await exportSurface(s, 'h5'), (file) => {
      const dataset = file.get('train_loss_std_error') as unknown as { shape: number[]; value: Float64Array };
      return { shape: dataset.shape, value: Array.from(dataset.value) };
    });
    expect(h5!.shape).toEqual([3, 5]);
    expect(h5!.value[1 * 5 + 2]).toBe(0.8);
    expect(Number.isNaN(h5!.value[2 * 5 + 4])).toBe(true);
    const npz = unzipSync(await exportSurface(s, 'npz'))['loss_std_error.npy']!;
    const headerLength = new DataView(npz.buffer, npz.byteOffset).getUint16(8, true);
    expect(new Float64Array(npz.slice(10 + headerLength).buffer)[2 * 5 + 3]).toBe(1.4);
    const rows = text(await exportSurface(s, 'csv')).trim().split('\n');
    expect(rows[0]).toBe('ix,iy,x,y,loss,accuracy,loss_std_error');
    expect(rows[1 + 1 * 5 + 2]).toBe('2,1,0,0,100,0.3,0.8');
  });
});
