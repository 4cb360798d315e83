import { describe, expect, it } from 'vitest';
import type { ParameterInfo, ParameterRole } from '../../contract/parameters.ts';
import type { ResolvedDirectionOptions } from '../../contract/surface.ts';
import { randomDirection, surfaceDirections } from './directions.ts';
import { gaussianStream } from './rng.ts';
import { cosine } from './vector.ts';
import { randomValues, referenceFilterNorms } from './test-layouts.ts';

/** A small conv net's parameter model in tfjs layout: conv (kernel, bias), BN (4 tensors), dense (kernel, bias). */
function convNetParameters(): ParameterInfo[] {
  const specs: [string, ParameterRole, number[], boolean][] = [
    ['conv/kernel', 'kernel', [3, 3, 2, 4], true],
    ['conv/bias', 'bias', [4], true],
    ['bn/gamma', 'bn_gamma', [4], true],
    ['bn/beta', 'bn_beta', [4], true],
    ['bn/moving_mean', 'bn_moving_mean', [4], false],
    ['bn/moving_variance', 'bn_moving_variance', [4], false],
    ['dense/kernel', 'kernel', [36, 10], true],
    ['dense/bias', 'bias', [10], true],
  ];
  let offset = 0;
  return specs.map(([name, role, shape, trainable]) => {
    const size = shape.reduce((n, d) => n * d, 1);
    const param: ParameterInfo = {
      name, layer: name.split('/')[0]!, layerClass: 'x', role, shape, size, trainable,
      filterAxes: shape.length <= 1 ? [] : [shape.length - 1], offset,
    };
    offset += size;
    return param;
  });
}

const params = convNetParameters();
const total = params.reduce((n, p) => n + p.size, 0);
const theta = randomValues(total, 99).map((v) => v * 0.5 + 0.1);
const defaults: ResolvedDirectionOptions = { seed: 0, normalization: 'filter', ignore: 'biasbn', mode: 'weights' };
const slice = (v: Float32Array, p: ParameterInfo) => v.subarray(p.offset, p.offset + p.size);
const byName = (name: string) => params.find((p) => p.name === name)!;

describe('randomDirection', () => {
  it('filter-normalizes kernels and zeroes rank-1 tensors under ignore biasbn', () => {
    const d = randomDirection(params, theta, gaussianStream(1), defaults);
    for (const p of params) {
      if (p.shape.length <= 1) expect(Array.from(slice(d, p)).every((v) => v === 0)).toBe(true);
      else {
        const want = referenceFilterNorms(slice(theta, p), p.shape, p.filterAxes);
        referenceFilterNorms(slice(d, p), p.shape, p.filterAxes).forEach((n, f) => expect(n / want[f]!).toBeCloseTo(1, 6));
      }
    }
  });

  it('copies θ into bias and BN directions under ignore none', () => {
    const d = randomDirection(params, theta, gaussianStream(1), { ...defaults, ignore: 'none' });
    for (const name of ['conv/bias', 'bn/gamma', 'bn/beta', 'dense/bias']) expect(slice(d, byName(name))).toEqual(slice(theta, byName(name)));
  });

  it('keeps BN moving statistics fixed in weights mode and moves them in states mode', () => {
    const weights = randomDirection(params, theta, gaussianStream(1), { ...defaults, ignore: 'none', mode: 'weights' });
    const states = randomDirection(params, theta, gaussianStream(1), { ...defaults, ignore: 'none', mode: 'states' });
    for (const name of ['bn/moving_mean', 'bn/moving_variance']) {
      expect(Array.from(slice(weights, byName(name))).every((v) => v === 0)).toBe(true);
      expect(Array.from(slice(states, byName(name))).some((v) => v !== 0)).toBe(true);
      expect(slice(states, byName(name))).toEqual(slice(theta, byName(name)));
    }
  });

  it('draws for every tensor, so mode and ignore do not shift the kernels\' random numbers', () => {
    const a = randomDirection(params, theta, gaussianStream(4), defaults);
    const b = randomDirection(params, theta, gaussianStream(4), { ...defaults, ignore: 'none', mode: 'states' });
    const kernel = byName('dense/kernel');
    expect(slice(a, kernel)).toEqual(slice(b, kernel));
    const normal = gaussianStream(4);
    randomDirection(params, theta, normal, defaults);
    const afterOne = normal();
    const skip = gaussianStream(4);
    for (let i = 0; i < total; i++) skip();
    expect(afterOne).toBe(skip());
  });

  it('applies the chosen normalization to rank ≥ 2 tensors only', () => {
    const raw = randomDirection(params, theta, gaussianStream(2), { ...defaults, normalization: 'none', ignore: 'none' });
    const normal = gaussianStream(2);
    const expected = Float32Array.from({ length: total }, normal);
    expect(slice(raw, byName('conv/kernel'))).toEqual(slice(expected, byName('conv/kernel')));
    expect(slice(raw, byName('conv/bias'))).toEqual(slice(theta, byName('conv/bias')));
  });
});

describe('surfaceDirections', () => {
  it('same seed gives identical directions, another seed different ones', () => {
    const a = surfaceDirections(params, theta, { ...defaults, seed: 11 }, 2);
    const b = surfaceDirections(params, theta, { ...defaults, seed: 11 }, 2);
    const c = surfaceDirections(params, theta, { ...defaults, seed: 12 }, 2);
    expect(a.x).toEqual(b.x);
    expect(a.y).toEqual(b.y);
    expect(a.x).not.toEqual(c.x);
    expect(a.y).not.toEqual(c.y);
  });

  it('η continues the stream after δ; 1D has no η and the same δ', () => {
    const plane = surfaceDirections(params, theta, { ...defaults, seed: 3 }, 2);
    const normal = gaussianStream(3);
    const x = randomDirection(params, theta, normal, defaults);
    const y = randomDirection(params, theta, normal, defaults);
    expect(plane.x).toEqual(x);
    expect(plane.y).toEqual(y);
    expect(plane.x).not.toEqual(plane.y);
    const line = surfaceDirections(params, theta, { ...defaults, seed: 3 }, 1);
    expect(line.y).toBeNull();
    expect(line.x).toEqual(plane.x);
  });

  it('δ and η are nearly orthogonal for a 10k-parameter model', () => {
    const dense: ParameterInfo[] = [{
      name: 'd/kernel', layer: 'd', layerClass: 'Dense', role: 'kernel', shape: [100, 100], size: 10_000, trainable: true, filterAxes: [1], offset: 0,
    }];
    const weights = randomValues(10_000, 5);
    for (const seed of [0, 1, 2, 3, 4]) {
      const { x, y } = surfaceDirections(dense, weights, { ...defaults, seed }, 2);
      expect(Math.abs(cosine(x, y!))).toBeLessThan(0.05);
    }
  });
});
