import { describe, expect, it } from 'vitest';
import type { ComparisonMemberState, ComparisonRecord } from '../../../contract/comparisons.ts';
import type { GradientFlow } from '../../../contract/metrics/gradient-flow.ts';
import { surfaceMetrics } from '../../../contract/metrics/surface-metrics.ts';
import type { SurfaceResult } from '../../../contract/surface.ts';
import { flowSeries } from './gradient-flow-plot.ts';
import { metricRows } from './metrics-table.ts';
import { initialFlow, omittedFlows, readComparison } from './model.ts';
import { formatDuration, memberRecipe, undertrainedWarning, type MemberRecipe } from './recipe.ts';
import { densitySeries, DENSITY_FLOOR, spectrumToShow } from './spectrum-view.ts';
import type { DatasetInfo, ModelRecord } from '../../../contract/index.ts';
import type { SpectrumListItem, SpectrumResult } from '../../../contract/metrics/spectrum.ts';

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
        state('uploaded', 's4', {
          gradientFlow: [flow('trained', [1, 2])],
          gradientFlowOmitted: [{ label: 'initialisation', reason: 'the model has no zoo training recipe to rebuild its initial weights from' }],
        }),
      ],
    };
    const data = readComparison(record);
    // Members stored before omissions were recorded read as none left out.
    expect(data.members.map((m) => m.gradientFlowOmitted.length)).toEqual([0, 0, 0, 1]);
    expect(omittedFlows(data.members)).toEqual(['uploaded: initialisation left out (the model has no zoo training recipe to rebuild its initial weights from)']);
    data.members.pop();
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

  it('reads a member\'s recipe from its model record and names IoU as the accuracy of a segmentation set', () => {
    const datasets = [
      { id: 'fashion-mnist', task: 'classification', classes: 10 },
      { id: 'shapes', task: 'segmentation', classes: 4 },
    ] as unknown as DatasetInfo[];
    const model = {
      name: 'ResNet-20', dataset: 'fashion-mnist',
      metadata: {
        recipe: { architecture: { id: 'resnet20', width: 1 }, dataset: { id: 'fashion-mnist' }, epochs: 12 },
        final: { train: { accuracy: 0.95 }, test: { accuracy: 0.91 } }, trainingSeconds: 3725,
      },
    } as unknown as ModelRecord;
    expect(memberRecipe('resnet20', model, datasets, 'fashion-mnist')).toEqual({
      label: 'resnet20', architecture: 'resnet20', options: '', width: 1, dataset: 'fashion-mnist', epochs: 12,
      trainAccuracy: 0.95, testAccuracy: 0.91, trainingSeconds: 3725, accuracyName: 'accuracy', classes: 10,
    });
    expect(memberRecipe('unet', model, datasets, 'shapes').accuracyName).toBe('IoU');
    const unet = { name: 'U-Net', dataset: 'shapes', metadata: { recipe: { architecture: { id: 'unet', width: 1, depth: 2, skips: 'none' } } } } as unknown as ModelRecord;
    expect(memberRecipe('unet-none', unet, datasets, 'shapes')).toMatchObject({ architecture: 'unet', options: 'depth 2, skips none', width: 1 });
    // A model without a recipe (an upload) still gets a row, of dashes.
    expect(memberRecipe('upload', null, datasets, 'fashion-mnist')).toMatchObject({ architecture: '—', epochs: null, testAccuracy: null });
    expect([formatDuration(30), formatDuration(438), formatDuration(3725), formatDuration(null)]).toEqual(['30 s', '7 min 18 s', '1 h 02 min', '—']);
  });

  it('warns about a member more than 15 points below the best, or under twice chance, and about no other', () => {
    const member = (label: string, testAccuracy: number | null, classes: number | null = 10): MemberRecipe => ({
      label, architecture: 'a', options: '', width: 1, dataset: 'd', epochs: 1, trainAccuracy: null, testAccuracy, trainingSeconds: null, accuracyName: 'accuracy', classes,
    });
    // A net that failed to train beside three that did (the retired MNIST demo's ResNets at width ×0.25: 97.2 / 97.2 / 95.9 / 29.0 %) — only the last.
    const oneFailed = [member('resnet20', 0.9715), member('resnet20-noshort', 0.972), member('resnet56', 0.959), member('resnet56-noshort', 0.29)];
    expect(oneFailed.map((m) => undertrainedWarning(m, oneFailed) !== null)).toEqual([false, false, false, true]);
    expect(undertrainedWarning(oneFailed[3]!, oneFailed)).toMatch(/^resnet56-noshort looks under-trained: test accuracy 29\.0 %, 68\.2 % points below resnet20-noshort \(97\.2 %\)/);
    // The paper's widest gap between trained nets (ResNet-110 ± shortcuts on CIFAR-10: 94.21 vs 83.56 %) is not flagged.
    const paper = [member('resnet110', 0.9421), member('resnet110-noshort', 0.8356)];
    expect(paper.map((m) => undertrainedWarning(m, paper))).toEqual([null, null]);
    // Alone, a classifier is judged against chance: 19 % on 10 classes is under 2/10.
    expect(undertrainedWarning(member('alone', 0.19), [member('alone', 0.19)])).toMatch(/below twice chance \(20\.0 % for 10 classes\)/);
    expect(undertrainedWarning(member('alone', 0.21), [member('alone', 0.21)])).toBeNull();
    // Segmentation (no classes): only the gap counts; unknown accuracy: no verdict.
    expect(undertrainedWarning(member('unet', 0.19, null), [member('unet', 0.19, null)])).toBeNull();
    expect(undertrainedWarning(member('upload', null), oneFailed)).toBeNull();
  });

  it('shows the latest spectrum at θ* first, and floors the density for its log axis as PyHessian does', () => {
    const result = (ix: number | null, density: number[]) => ({ point: { ix, iy: ix, x: 0, y: 0 }, density: { grid: density.map((_, i) => i), density } }) as unknown as SpectrumResult;
    const item = (id: string, status: SpectrumListItem['status'], r: SpectrumResult | null): SpectrumListItem => ({ id, status, progress: null, error: null, result: r });
    const atPoint = item('p', 'completed', result(3, [1]));
    const atCentre = item('c', 'completed', result(null, [1]));
    const running = item('r', 'running', null);
    expect(spectrumToShow([running, atPoint, atCentre])).toBe(atCentre);
    expect(spectrumToShow([running, atPoint])).toBe(atPoint);
    expect(spectrumToShow([running])).toBe(running);
    expect(spectrumToShow([])).toBeNull();
    expect(densitySeries(result(null, [0, 0.5, -1e-12]))).toEqual({ x: [0, 1, 2], y: [DENSITY_FLOOR, 0.5 + DENSITY_FLOOR, DENSITY_FLOOR] });
  });
});
