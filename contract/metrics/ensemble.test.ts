import { describe, expect, it } from 'vitest';
import { ensembleMemberRequest, ensembleSize, ensembleStatus } from '../ensembles.ts';
import { ensembleMemberSeed, linspace, type SurfaceResult } from '../surface.ts';
import { ensembleStatistics, metricFigures, metricSpreads, pointwiseSpread, spreadOf } from './ensemble.ts';
import { surfaceMetrics } from './surface-metrics.ts';

describe('spreadOf: order statistics over the members', () => {
  it('odd k: the middle value, and the quartiles at ranks (k − 1)/4 and 3(k − 1)/4', () => {
    // Sorted 1 1 3 4 5: positions 1, 2, 3 of 0 … 4 fall on values.
    expect(spreadOf([3, 1, 4, 1, 5])).toEqual({ median: 3, q1: 1, q3: 4, min: 1, max: 5, members: 5 });
  });

  it('even k: interpolated between neighbours (numpy.percentile([2, 4, 6, 8], [25, 50, 75]) = 3.5, 5, 6.5)', () => {
    expect(spreadOf([8, 2, 6, 4])).toEqual({ median: 5, q1: 3.5, q3: 6.5, min: 2, max: 8, members: 4 });
  });

  it('k = 3: q1 and q3 halfway between the extremes and the median', () => {
    const spread = spreadOf([0.3, 0.1, 0.2]);
    expect(spread).toMatchObject({ median: 0.2, min: 0.1, max: 0.3, members: 3 });
    expect(spread.q1).toBeCloseTo(0.15, 15);
    expect(spread.q3).toBeCloseTo(0.25, 15);
  });

  it('leaves out NaN, ±Inf and null members and counts the rest; all null when none is finite', () => {
    // Of 1, null, 7, NaN, Inf only 1 and 7 remain: median 4, q1 1 + 0.25·6, q3 1 + 0.75·6.
    expect(spreadOf([1, null, 7, NaN, Infinity])).toEqual({ median: 4, q1: 2.5, q3: 5.5, min: 1, max: 7, members: 2 });
    expect(spreadOf([null, NaN, -Infinity])).toEqual({ median: null, q1: null, q3: null, min: null, max: null, members: 0 });
  });
});

describe('pointwiseSpread', () => {
  it('takes each grid point on its own, skipping the members whose value there is not finite', () => {
    const members = [
      [[1, 10], [null, 4]],
      [[2, 30], [null, 8]],
      [[6, 20], [5, null]],
    ];
    const spread = pointwiseSpread(members);
    expect(spread.median).toEqual([[2, 20], [5, 6]]);
    expect(spread.q1).toEqual([[1.5, 15], [5, 5]]);
    expect(spread.q3).toEqual([[4, 25], [5, 7]]);
    expect(spread.min).toEqual([[1, 10], [5, 4]]);
    expect(spread.max).toEqual([[6, 30], [5, 8]]);
    expect(spread.finiteMembers).toEqual([[3, 3], [1, 2]]);
    // No member finite: null everywhere.
    expect(pointwiseSpread([[[null]], [[null]]])).toMatchObject({ median: [[null]], q1: [[null]], max: [[null]], finiteMembers: [[0]] });
  });
});

const axis = { min: -1, max: 1, num: 21 };
function bowl(id: string, curvature: number): SurfaceResult {
  const xs = linspace(axis);
  return {
    id, kind: '2d', axes: { x: xs, y: xs }, shape: [21, 21],
    loss: xs.map((y) => xs.map((x) => curvature * (x * x + y * y))), accuracy: xs.map(() => xs.map(() => 0.5)), nonFinite: [], provenance: {},
  } as unknown as SurfaceResult;
}

describe('metric spreads', () => {
  it('name every figure by its path and leave out the settings', () => {
    const paths = [...metricFigures(surfaceMetrics(bowl('a', 1))).keys()];
    expect(paths).toContain('sharpness.meanRise');
    expect(paths).toContain('roughness.strictLocalMinima');
    expect(paths).toContain('basin[tau=0.5].area');
    expect(paths).toContain('nearMinimum[delta=1].share');
    expect(paths).toContain('curvature.atCenter.lambdaMin');
    expect(paths).not.toContain('sharpness.radius');
    expect(paths.some((p) => p.endsWith('.tau') || p.endsWith('.delta') || p === 'kind')).toBe(false);
  });

  it('of bowls a·(α² + β²), a = 1, 2, 3: the mean rise within r = 0.25 is 0.034·a, so its median is 0.068', () => {
    // Within 0.25 of θ* on a 0.1 grid: 4 points at i² + j² = 1, 4 at 2, 4 at 4, 8 at 5; mean 68/20 = 3.4 → rise 0.01·3.4·a.
    const spreads = metricSpreads([bowl('a', 3), bowl('b', 1), bowl('c', 2)]);
    const rise = spreads['sharpness.meanRise']!;
    expect(rise.values.map((v) => v!.toFixed(12))).toEqual([0.102, 0.034, 0.068].map((v) => v.toFixed(12)));
    expect(rise.median).toBeCloseTo(0.068, 12);
    expect(rise.q1).toBeCloseTo(0.051, 12);
    expect(rise.q3).toBeCloseTo(0.085, 12);
    expect(rise.min).toBeCloseTo(0.034, 12);
    expect(rise.max).toBeCloseTo(0.102, 12);
    // The bowl's only local minimum is θ*, in every member.
    expect(spreads['roughness.strictLocalMinima']).toMatchObject({ median: 1, q1: 1, q3: 1, min: 1, max: 1, members: 3 });
  });

  it('a member without finite points has no metrics: null in values, left out of the spread', () => {
    const dead = { ...bowl('dead', 1), loss: bowl('dead', 1).loss.map((row) => row.map(() => null)) } as SurfaceResult;
    const rise = metricSpreads([bowl('a', 1), dead, bowl('b', 3)])['sharpness.meanRise']!;
    expect(rise.values[1]).toBeNull();
    expect(rise.members).toBe(2);
    expect(rise.median).toBeCloseTo(0.068, 12);
  });
});

describe('ensembleStatistics', () => {
  const members = [0, 1, 2].map((index) => ({ index, seed: ensembleMemberSeed(4, index), surfaceId: `s${index}` }));

  it('serves loss and accuracy statistics and the metric spreads in member order', () => {
    const statistics = ensembleStatistics('e', members, [bowl('s0', 1), bowl('s1', 3), bowl('s2', 2)]);
    expect(statistics.shape).toEqual([21, 21]);
    expect(statistics.loss.median[0]![0]).toBeCloseTo(4, 12); // corner: a·2 for a = 1, 3, 2
    expect(statistics.loss.q3[0]![0]).toBeCloseTo(5, 12);
    expect(statistics.accuracy!.median[3]![7]).toBe(0.5);
    expect(statistics.metrics['sharpness.meanRise']!.values[1]).toBeCloseTo(0.102, 12);
  });

  it('refuses members on different grids', () => {
    const other = { ...bowl('s2', 1), axes: { x: linspace({ min: -2, max: 2, num: 21 }), y: linspace(axis) } } as SurfaceResult;
    expect(() => ensembleStatistics('e', members, [bowl('s0', 1), bowl('s1', 1), other])).toThrow(/not on the grid/);
  });
});

describe('ensemble members', () => {
  it("member j's seed is (seed + j·506952113) mod 2^31, member 0 the request's own", () => {
    expect([0, 1, 2, 5].map((j) => ensembleMemberSeed(0, j))).toEqual([0, 506952113, 1013904226, 387276917]);
    expect(ensembleMemberSeed(2 ** 31 - 1, 1)).toBe(506952112);
  });

  it("member j's request is a plain surface with seed_j", () => {
    const request = { model: 'm', dataset: { id: 'moons' }, grid: { x: { min: -1, max: 1, num: 3 } }, directions: { seed: 7, ensemble: 3, normalization: 'layer' as const }, name: 'e' };
    expect(ensembleSize(request)).toBe(3);
    expect(ensembleSize({ directions: { seed: 1 } })).toBe(1);
    const member = ensembleMemberRequest(request, 2, 0);
    expect(member).toEqual({ ...request, directions: { seed: 7 + 2 * 506952113, normalization: 'layer' }, name: 'e: member 3/3' });
    expect(ensembleMemberRequest({ ...request, directions: { ensemble: 2 } }, 1, 0).directions).toEqual({ seed: 506952113 });
  });

  it('status: failed over cancelled over running; queued or completed only when all are', () => {
    const of = (...statuses: ('queued' | 'running' | 'completed' | 'failed' | 'cancelled')[]) => ensembleStatus(statuses.map((status) => ({ status })));
    expect(of('queued', 'queued')).toBe('queued');
    expect(of('completed', 'queued')).toBe('running');
    expect(of('completed', 'completed')).toBe('completed');
    expect(of('completed', 'cancelled', 'running')).toBe('cancelled');
    expect(of('cancelled', 'failed')).toBe('failed');
  });
});
