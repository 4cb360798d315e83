import { describe, expect, it } from 'vitest';
import { linspace, type SurfaceResult } from '../surface.ts';
import { metricSpreads } from './ensemble.ts';
import { comparisonFinding, type FindingEntry } from './finding.ts';
import type { GradientFlow } from './gradient-flow.ts';
import { surfaceMetrics } from './surface-metrics.ts';

const axis = { min: -1, max: 1, num: 21 };

function entry(label: string, f: (x: number, y: number) => number, firstToLast?: number): FindingEntry {
  const xs = linspace(axis);
  const result = {
    id: label, kind: '2d', axes: { x: xs, y: xs }, shape: [21, 21],
    loss: xs.map((y) => xs.map((x) => f(x, y))), accuracy: null, nonFinite: [], provenance: {},
  } as unknown as SurfaceResult;
  const gradientFlow = firstToLast === undefined ? null : ({ label: 'initialisation', loss: 1, samples: 1, batchSize: 1, layers: [], firstToLast } as GradientFlow);
  return { label, metrics: surfaceMetrics(result), gradientFlow };
}

describe('comparisonFinding', () => {
  const smooth = entry('ResNet-20', (x, y) => x * x + y * y, 0.8);
  // 4× the curvature plus ripples that bend the plane into saddles: sharper and non-convex.
  const rough = entry('ResNet-20-noshort', (x, y) => 4 * (x * x + y * y) + 0.3 * (1 - Math.cos(12 * x) * Math.cos(12 * y)), 0.01);

  it('names the sharper surface, the factor and the figures it came from', () => {
    const text = comparisonFinding([smooth, rough]);
    const rise = (e: FindingEntry) => e.metrics.sharpness.meanRise!;
    const ratio = rise(rough) / rise(smooth);
    expect(text.startsWith(`ResNet-20-noshort is ${ratio.toPrecision(3).replace(/\.?0+$/, '')}× sharper than ResNet-20`)).toBe(true);
    expect(text).toContain('and more non-convex');
    expect(text).toContain('80× weaker');
    expect(text.endsWith('.')).toBe(true);
    expect(text.split('. ').length).toBe(1);
  });

  it('follows the numbers when they swap', () => {
    const text = comparisonFinding([entry('A', (x, y) => 9 * (x * x + y * y)), entry('B', (x, y) => x * x + y * y)]);
    expect(text).toMatch(/^A is 9× sharper than B/);
    expect(text).toContain('but about as non-convex (non-convex share of the plane 0% vs 0%)');
  });

  it('says so when θ* is not a minimum of a plane', () => {
    const text = comparisonFinding([entry('bowl', (x, y) => x * x + y * y), entry('hill', (x, y) => -(x * x) - y * y)]);
    expect(text).toMatch(/^hill's θ\* is not a minimum of its plane \(mean loss change within r = 0.25: -0.0\d+\), unlike bowl's/);
  });

  it('calls near-equal sharpness similar', () => {
    const text = comparisonFinding([entry('A', (x, y) => x * x + y * y), entry('B', (x, y) => 1.1 * (x * x + y * y))]);
    expect(text).toMatch(/^Both surfaces are similarly sharp/);
    const three = comparisonFinding([entry('A', (x, y) => x * x + y * y), entry('B', (x, y) => 1.1 * (x * x + y * y)), entry('C', (x, y) => 1.05 * (x * x + y * y))]);
    expect(three).toMatch(/^All 3 surfaces are similarly sharp/);
  });

  it('prefers the full-Hessian ratio when every member has one', () => {
    const withHessian = (e: FindingEntry, meanAbsRatio: number): FindingEntry => ({
      ...e, hessian: { points: 9, meanAbsRatio, maxAbsRatio: meanAbsRatio, absRatioAtCenter: meanAbsRatio, nonConvexShare: 0.5 },
    });
    const text = comparisonFinding([withHessian(smooth, 0.02), withHessian(rough, 0.4)]);
    expect(text).toContain('more non-convex (mean |λmin/λmax| 0.4 vs 0.02)');
  });
});

describe('comparisonFinding with standard errors', () => {
  function noisy(label: string, curvature: number, stdError: number): FindingEntry {
    const xs = linspace(axis);
    const result = {
      id: label, kind: '2d', axes: { x: xs, y: xs }, shape: [21, 21],
      loss: xs.map((y) => xs.map((x) => curvature * (x * x + y * y))), accuracy: null, nonFinite: [], provenance: {},
      lossStdError: xs.map(() => xs.map(() => stdError)),
    } as unknown as SurfaceResult;
    return { label, metrics: surfaceMetrics(result) };
  }

  it('calls a sharpness difference within the sampling noise equal', () => {
    const text = comparisonFinding([noisy('A', 2, 1), noisy('B', 1, 1)]);
    expect(text).toMatch(/^A and B are equally sharp near θ\* within the sampling noise/);
    expect(text).toContain('≤ 2 standard errors');
  });

  it('says when a sharpness difference is beyond the sampling noise', () => {
    const text = comparisonFinding([noisy('A', 2, 1e-4), noisy('B', 1, 1e-4)]);
    expect(text).toMatch(/^A is 2× sharper than B near θ\*/);
    expect(text).toContain('beyond the sampling noise (difference');
  });
});

describe('comparisonFinding over direction ensembles', () => {
  /** A member mapped over one direction pair per curvature: bowls a·(α² + β²), whose mean rise within r = 0.25 is 0.034·a. */
  function ensembleEntry(label: string, curvatures: number[]): FindingEntry {
    const xs = linspace(axis);
    const results = curvatures.map((a) => ({
      id: `${label}${a}`, kind: '2d', axes: { x: xs, y: xs }, shape: [21, 21],
      loss: xs.map((y) => xs.map((x) => a * (x * x + y * y))), accuracy: null, nonFinite: [], provenance: {},
    }) as unknown as SurfaceResult);
    return { label, metrics: surfaceMetrics(results[0]!), ensemble: metricSpreads(results) };
  }

  it('compares the medians and says a difference beyond the spread is (the interquartile ranges do not overlap)', () => {
    // Medians 0.068 and 0.034; IQRs 0.0663 to 0.0697 and 0.0323 to 0.0357.
    const text = comparisonFinding([ensembleEntry('A', [2, 1.9, 2.1]), ensembleEntry('B', [1, 0.9, 1.1])]);
    expect(text).toMatch(/^A is 2× sharper than B near θ\* \(median mean loss rise within r = 0.25: 0.068 vs 0.034\), beyond the spread over random directions/);
    expect(text).toContain('(3 vs 3 direction pairs, IQR 0.0663 to 0.0697 vs IQR 0.0323 to 0.0357: the interquartile ranges do not overlap)');
  });

  it('reports a difference of medians that does not exceed the spread as such', () => {
    // Medians 0.068 (IQR 0.051 to 0.0935) and 0.034 (IQR 0.0255 to 0.0595): twice as sharp by the medians, but the ranges overlap.
    const text = comparisonFinding([ensembleEntry('A', [1, 2, 3.5]), ensembleEntry('B', [0.5, 1, 2.5])]);
    expect(text).toBe(
      'A and B are equally sharp near θ* within the spread over random directions: the difference of the median mean loss rises within r = 0.25, ' +
        '0.068 vs 0.034, does not exceed the spread (3 vs 3 direction pairs, IQR 0.051 to 0.0935 vs IQR 0.0255 to 0.0595: the interquartile ranges overlap).',
    );
  });

  it('calls near-equal medians similar and still states the spread', () => {
    const text = comparisonFinding([ensembleEntry('A', [1, 1.1, 1.2]), ensembleEntry('B', [0.95, 1, 1.05])]);
    expect(text).toMatch(/^Both surfaces are similarly sharp near θ\* \(median mean loss rise within r = 0.25 between 0.034 and 0.0374; 3 vs 3 direction pairs, /);
    expect(text).toContain('the interquartile ranges do not overlap).');
  });

  it('states the spread of a single member', () => {
    expect(comparisonFinding([ensembleEntry('A', [1, 2, 3])])).toMatch(/^A has a mean loss rise of 0.068 \(median over 3 direction pairs, IQR 0.051 to 0.085\) within r = 0.25/);
  });
});
