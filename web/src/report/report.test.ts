import { describe, expect, it } from 'vitest';
import type { ComparisonMemberState, ComparisonRecord } from '../../../contract/comparisons.ts';
import type { GradientFlow } from '../../../contract/metrics/gradient-flow.ts';
import { surfaceMetrics } from '../../../contract/metrics/surface-metrics.ts';
import type { SurfaceResult } from '../../../contract/surface.ts';
import { flowSeries } from './gradient-flow-plot.ts';
import { metricRows } from './metrics-table.ts';
import { initialFlow, readComparison } from './model.ts';

const flow = (label: string, rms: number[]): GradientFlow => ({
  label, loss: 1, samples: 10, batchSize: 10, firstToLast: rms[0]! / rms[rms.length - 1]!,
  layers: rms.map((r, index) => ({ index, layer: `l${index}`, parameter: `l${index}/kernel`, layerClass: 'Dense', size: 4, norm: 2 * r, rms: r })),
});

describe('report model', () => {
  it('reads members, their surfaces and gradient flows from a comparison record', () => {
    const state = (label: string, surfaceId: string | null, extra: Record<string, unknown>): ComparisonMemberState => ({
      label, architecture: null, status: 'completed', trainingId: null, modelId: 'm', surfaceId, surface: null, metrics: null, hessian: null, gradientFlow: [], error: null, ...extra,
    });
    const record: ComparisonRecord = {
      id: 'c1', name: 'skip vs no skip', status: 'running', request: {}, finding: null, createdAt: '', finishedAt: null, links: { self: '' },
      members: [
        state('resnet-20', 's1', { gradientFlow: [flow('trained', [1, 2]), flow('initialisation', [0.5, 1])] }),
        state('resnet-20-noshort', 's2', {
          gradientFlow: [flow('initialisation', [0.01, 1, 3])],
          hessian: { status: 'completed', progress: { done: 9, total: 9 }, summary: { points: 9, meanAbsRatio: 0.4, maxAbsRatio: 0.9, absRatioAtCenter: 0.1, nonConvexShare: 0.5 }, error: null },
        }),
        state('densenet', null, { status: 'failed', error: { code: 'TRAINING_FAILED', message: 'NaN loss' } }),
      ],
    };
    const data = readComparison(record);
    expect(data.members.map((m) => [m.label, m.surfaceId, m.status])).toEqual([
      ['resnet-20', 's1', 'completed'], ['resnet-20-noshort', 's2', 'completed'], ['densenet', null, 'failed'],
    ]);
    expect(data.members[2]!.error).toBe('TRAINING_FAILED: NaN loss');
    expect(data.members.map((m) => m.hessian?.meanAbsRatio ?? null)).toEqual([null, 0.4, null]);
    expect(initialFlow(data.members[0]!)!.label).toBe('initialisation');
    expect(initialFlow(data.members[2]!)).toBeNull();
    // A flow after training is never passed off as the one at initialisation.
    expect(initialFlow({ ...data.members[0]!, gradientFlow: data.members[0]!.gradientFlow.filter((f) => f.label === 'trained') })).toBeNull();

    const { x, series } = flowSeries(data.members);
    expect(x).toEqual([0, 1, 2]);
    expect(series.map((s) => [s.label, s.dashed])).toEqual([
      ['resnet-20 · trained', true], ['resnet-20 · initialisation', false], ['resnet-20-noshort · initialisation', false],
    ]);
    expect(series[0]!.values).toEqual([1, 2, null]);
  });

  it('lays out one metrics column per member, with dashes where a member has no numbers', () => {
    const xs = [-1, -0.5, 0, 0.5, 1];
    const result = { id: 's', kind: '2d', axes: { x: xs, y: xs }, shape: [5, 5], loss: xs.map((y) => xs.map((x) => x * x + y * y)), accuracy: null, nonFinite: [], provenance: {} } as unknown as SurfaceResult;
    const rows = metricRows([
      { label: 'a', metrics: surfaceMetrics(result, { radius: 0.5 }), hessian: null },
      { label: 'b', metrics: null, hessian: null },
    ]);
    const byName = Object.fromEntries(rows.map((r) => [r.name, r.values]));
    expect(byName['Loss at θ*']).toEqual(['0', '—']);
    expect(byName['Strict local minima']).toEqual(['1', '—']);
    expect(byName['Mean rise within r = 0.5']).toEqual(['0.25', '—']);
    expect(byName['Mean |λmin/λmax| (Hessian)']).toEqual(['—', '—']);
    expect(byName['… at (α, β)']).toEqual(['(0, 0)', '—']);
  });
});
