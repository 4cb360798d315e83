import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonRecord } from '../contract/comparisons.ts';
import type { ModelRecord, SurfaceRecord } from '../contract/index.ts';
import type { HessianMapResult } from '../contract/metrics/hessian.ts';
import type { SpectrumResult } from '../contract/metrics/spectrum.ts';
import { describeOnnxModel } from '../contract/onnx-model.ts';
import { createGradientEngine } from '../worker/autodiff/index.ts';
import { RULES } from '../worker/autodiff/registry.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import { torchMlp } from '../worker/engine/onnx/torch-like-models.ts';
import { denseHessian } from '../worker/hessian/dense-hessian.ts';
import { symmetricEigen } from '../worker/hessian/symmetric-eigen.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/**
 * The exact gradient engine through the real API and worker processes, for an ONNX upload laid out
 * as torch.onnx.export writes an MLP (Gemm transB=1 → Relu → Gemm → Softmax): Hessian map, spectrum
 * and gradient flow, checked against the dense Hessian of the same model and samples.
 */
let stack: Stack;
let model: ModelRecord;
let surface: SurfaceRecord;
const SAMPLES = 120;
const HIDDEN = 8;


async function upload(name: string, bytes: Uint8Array): Promise<ModelRecord> {
  const form = new FormData();
  form.set('name', name);
  form.append('file', new Blob([Buffer.from(bytes)]), 'model.onnx');
  const response = await fetch(`${stack.baseUrl}/api/v1/models`, { method: 'POST', body: form });
  expect(response.status).toBe(201);
  return (await response.json()) as ModelRecord;
}

async function completedSurface(modelId: string): Promise<SurfaceRecord> {
  const { status, body } = await stack.api<{ id: string }>('/api/v1/surfaces', {
    method: 'POST',
    json: { model: modelId, dataset: { id: 'moons', samples: SAMPLES }, grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } } },
  });
  expect(status).toBe(202);
  return until(`surface ${body.id} to complete`, async () => {
    const record = (await stack.api<SurfaceRecord>(`/api/v1/surfaces/${body.id}`)).body;
    expect(record.status).not.toBe('failed');
    return record.status === 'completed' && record;
  }, { intervalMs: 100 });
}

/** Polls a GET that answers 202 while its job runs; returns the 200 body, or the 202 body once it failed. */
async function settled<T>(path: string): Promise<{ status: number; body: T & { status?: string; error?: string } }> {
  return until(`${path} to settle`, async () => {
    const response = await stack.api<T & { status?: string; error?: string }>(path);
    return (response.status !== 202 || response.body.status === 'failed') && response;
  }, { intervalMs: 100 });
}

/** The dense Hessian at θ* over the rank ≥ 2 parameters, on the surface's samples, from the uploaded file. */
async function denseAtCenter(bytes: Uint8Array) {
  const description = describeOnnxModel(bytes);
  const artifact = { hash: 'dense', format: 'onnx' as const, files: { 'model.onnx': bytes }, parameters: description.parameters, outputActivation: description.outputActivation };
  const engine = await createGradientEngine(artifact, { parameters: 'weights', batchNorm: 'moving', loss: 'sparse_categorical_crossentropy' });
  const { split, samples, sampleSeed } = surface.provenance.dataset;
  await engine.setData(evaluationData(builtinDataset('moons'), split, samples, sampleSeed).data);
  try {
    const dense = await denseHessian(engine, engine.initialParameters());
    return { dense, eigen: symmetricEigen(dense.matrix) };
  } finally {
    await engine.dispose();
  }
}

let file: Uint8Array;
beforeAll(async () => {
  stack = await startStack({ workers: 1, fixtures: null });
  file = torchMlp({ hidden: HIDDEN, activation: 'Relu', seed: 3 });
  model = await upload('torch mlp', file);
  expect(model.format).toBe('onnx');
  surface = await completedSurface(model.id);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('exact gradients for an ONNX upload through the API', () => {
  it('maps |λmin/λmax| (no longer refused) and its centre equals the dense Hessian\'s extreme eigenvalues', async () => {
    const queued = await stack.api(`/api/v1/surfaces/${surface.id}/hessian`, { method: 'POST', json: { points: 3, tolerance: 1e-4 } });
    expect(queued.status).toBe(202);
    const { status, body: map } = await settled<HessianMapResult>(`/api/v1/surfaces/${surface.id}/hessian`);
    expect(status, map.error).toBe(200);
    expect(map.settings).toMatchObject({ products: 'exact', parameters: 'weights', differentiated: 2 * HIDDEN + 2 * HIDDEN });
    expect(map.engine).toMatchObject({ name: 'onnx', crossEntropy: 'logits' });
    const centre = map.points.find((p) => p.x === 0 && p.y === 0)!;
    expect(centre.converged).toBe(true);
    const { eigen } = await denseAtCenter(file);
    const lambdaMax = eigen.values[eigen.values.length - 1]!;
    const lambdaMin = eigen.values[0]!;
    expect(Math.abs(centre.lambdaMax! - lambdaMax)).toBeLessThan(1e-3 * Math.abs(lambdaMax));
    expect(Math.abs(centre.lambdaMin! - lambdaMin)).toBeLessThan(1e-3 * Math.abs(lambdaMax));
  }, 180_000);

  it('serves the spectrum at θ*: top-k eigenvalues, Hutchinson trace and SLQ density consistent with the dense Hessian', async () => {
    const request = { topK: 3, tolerance: 1e-4, traceSamples: 30, densitySteps: 12, densityVectors: 2, bins: 200, seed: 5 };
    const queued = await stack.api<{ id: string; status: string; progress: { total: number } }>(`/api/v1/surfaces/${surface.id}/spectrum`, { method: 'POST', json: request });
    expect(queued.status).toBe(202);
    expect(queued.body.progress.total).toBe(200 + 30 + 12 * 2);
    // The same request again is the same spectrum, not a second job: its id while queued or
    // running (202), or the stored result once done (200) — this small one can finish in between.
    const again = await stack.api<{ id: string }>(`/api/v1/surfaces/${surface.id}/spectrum`, { method: 'POST', json: request });
    const { status, body: spectrum } = await settled<SpectrumResult>(`/api/v1/surfaces/${surface.id}/spectrum/${queued.body.id}`);
    expect(status, spectrum.error).toBe(200);
    if (again.status === 202) expect(again.body.id).toBe(queued.body.id);
    else expect([again.status, again.body]).toEqual([200, spectrum]);
    expect((await stack.api(`/api/v1/surfaces/${surface.id}/spectrum`)).body).toEqual(spectrum);
    expect(spectrum.point).toEqual({ ix: null, iy: null, x: 0, y: 0 });
    expect(spectrum.settings).toMatchObject({ ...request, samples: SAMPLES, parameters: 'weights', products: 'exact', seeds: { topEigenvalues: 5, trace: 6, density: 7 } });

    const { dense, eigen } = await denseAtCenter(file);
    const descending = [...eigen.values].reverse();
    const scale = Math.abs(descending[0]!);
    expect(spectrum.topEigenvalues.converged).toBe(true);
    spectrum.topEigenvalues.eigenvalues.forEach((value, k) => expect(Math.abs(value - descending[k]!)).toBeLessThan(1e-3 * scale));
    // Hutchinson is unbiased: within 4 standard errors of tr(H) (and the error estimate is not 0).
    const trace = dense.matrix.reduce((s, row, i) => s + row[i]!, 0);
    expect(spectrum.trace.standardError).toBeGreaterThan(0);
    expect(Math.abs(spectrum.trace.trace - trace)).toBeLessThan(4 * spectrum.trace.standardError);
    // SLQ: 12 steps on a 32-dimensional operator; the nodes lie within the spectrum, the weights of
    // each vector sum to 1, and the density integrates to 1.
    for (const nodes of spectrum.density.nodes) for (const node of nodes) {
      expect(node).toBeGreaterThanOrEqual(eigen.values[0]! - 1e-4 * scale);
      expect(node).toBeLessThanOrEqual(descending[0]! + 1e-4 * scale);
    }
    for (const weights of spectrum.density.weights) expect(weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 6);
    const spacing = spectrum.density.grid[1]! - spectrum.density.grid[0]!;
    expect(spectrum.density.density.reduce((s, d) => s + d, 0) * spacing).toBeCloseTo(1, 2);
  }, 180_000);

  it('computes a spectrum at a grid point, and answers 4xx naming the field for a point off the grid or bad settings', async () => {
    const offGrid = await stack.api<{ field: string }>(`/api/v1/surfaces/${surface.id}/spectrum`, { method: 'POST', json: { point: { ix: 3, iy: 0 } } });
    expect(offGrid.status).toBe(400);
    expect(offGrid.body.field).toBe('point.ix');
    const badTopK = await stack.api<{ field: string }>(`/api/v1/surfaces/${surface.id}/spectrum`, { method: 'POST', json: { topK: 0 } });
    expect(badTopK.status).toBe(400);
    expect(badTopK.body.field).toBe('topK');
    expect((await stack.api(`/api/v1/surfaces/nope/spectrum`, { method: 'POST', json: {} })).status).toBe(404);

    const queued = await stack.api<{ id: string }>(`/api/v1/surfaces/${surface.id}/spectrum`, { method: 'POST', json: { point: { ix: 2, iy: 0 }, topK: 1, traceSamples: 2, densitySteps: 4, bins: 20 } });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const { status, body } = await settled<SpectrumResult>(`/api/v1/surfaces/${surface.id}/spectrum/${queued.body.id}`);
    expect(status, body.error).toBe(200);
    expect(body.point).toEqual({ ix: 2, iy: 0, x: 1, y: -1 });
    expect(body.topEigenvalues.eigenvalues).toHaveLength(1);
  }, 120_000);

  it('computes gradient flow for the upload in a comparison', async () => {
    const submitted = await stack.api<ComparisonRecord>('/api/v1/comparisons', {
      method: 'POST',
      json: { members: [{ model: model.id }], shared: { dataset: { id: 'moons', samples: SAMPLES }, grid: { x: { min: -1, max: 1, num: 3 } }, hessian: false } },
    });
    expect(submitted.status).toBe(202);
    const record = await until(`comparison ${submitted.body.id} to end`, async () => {
      const current = (await stack.api<ComparisonRecord>(`/api/v1/comparisons/${submitted.body.id}`)).body;
      return current.status !== 'running' && current;
    });
    expect(record.status).toBe('completed');
    const [trained] = record.members[0]!.gradientFlow;
    expect(trained!.label).toBe('trained');
    expect(trained!.layers.map((l) => l.parameter)).toEqual(['fc1.weight', 'fc2.weight']);
    expect(trained!.layers.every((l) => l.norm > 0)).toBe(true);
  }, 120_000);

  it('fails a Hessian map of a model with an operator that has no gradient rule, naming it, while its surface works', async () => {
    // Celu is on the upload allow-list but has no gradient rule (if it gets one, pick another such operator).
    expect(RULES.has('Celu')).toBe(false);
    const unsupported = await upload('celu mlp', torchMlp({ hidden: HIDDEN, activation: 'Celu', seed: 3 }));
    const unsupportedSurface = await completedSurface(unsupported.id);
    expect(unsupportedSurface.status).toBe('completed');
    expect((await stack.api(`/api/v1/surfaces/${unsupportedSurface.id}/hessian`, { method: 'POST', json: { points: 2 } })).status).toBe(202);
    const { status, body } = await settled<HessianMapResult>(`/api/v1/surfaces/${unsupportedSurface.id}/hessian`);
    expect(status).toBe(202);
    expect(body.status).toBe('failed');
    expect(body.error).toMatch(/Celu/);
  }, 120_000);
});
