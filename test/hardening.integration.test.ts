import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRecord, SurfaceRecord } from '../contract/index.ts';
import * as tf from '../worker/engine/tfjs/tf.ts';
import { saveLayersModel } from '../worker/engine/tfjs/save-model.ts';
import { uploadModel } from './helpers/models.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/** A small functional model (input → h → out), so its layers carry inbound_nodes. */
async function functionalFiles(): Promise<{ json: Record<string, any>; weights: Uint8Array }> {
  const input = tf.input({ shape: [2], name: 'in' });
  const h = tf.layers.dense({ units: 4, activation: 'tanh', name: 'h', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input);
  const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const files = await saveLayersModel(model);
  model.dispose();
  return { json: JSON.parse(new TextDecoder().decode(files['model.json'])), weights: files['weights.bin'] };
}

function layersOf(json: Record<string, any>): Record<string, any>[] {
  return (json.modelTopology.model_config ?? json.modelTopology).config.layers;
}

function filesOf(json: unknown, weights: Uint8Array): Record<string, Uint8Array> {
  return { 'model.json': new TextEncoder().encode(JSON.stringify(json)), 'weights.bin': weights };
}

/** A cycle h → out → h: tfjs never finishes building it. */
async function cyclicFiles(): Promise<Record<string, Uint8Array>> {
  const { json, weights } = await functionalFiles();
  layersOf(json).find((l) => l.name === 'h')!.inbound_nodes = [[['out', 0, 0, {}]]];
  return filesOf(json, weights);
}

let stack: Stack;
beforeAll(async () => {
  // No demo fixtures; a short floor and no per-work allowance, so the hung chunk is killed within seconds.
  stack = await startStack({ workers: 1, fixtures: null, env: { LA_CHUNK_TIME_FLOOR_MS: '8000', LA_CHUNK_TIME_PER_WORK_NS: '0' } });
});
afterAll(async () => {
  await stack?.stop();
});

async function expectRejected(files: Record<string, Uint8Array>, mentions: RegExp, name = 'hostile') {
  const { status, body } = await uploadModel(stack.baseUrl, name, files);
  expect(status, JSON.stringify(body).slice(0, 300)).toBe(400);
  expect(String(body.message)).toMatch(mentions);
}

describe('hostile tfjs Layers uploads are refused with 400 naming the layer or field', () => {
  it('a cycle in the layer graph', async () => {
    await expectRejected(await cyclicFiles(), /layer "(h|out)" is on a cycle/);
  });

  it('an inbound reference to a layer the model does not have', async () => {
    const { json, weights } = await functionalFiles();
    layersOf(json).find((l) => l.name === 'out')!.inbound_nodes = [[['ghost', 0, 0, {}]]];
    await expectRejected(filesOf(json, weights), /layer "out" reads from layer "ghost"/);
  });

  it('20,000 duplicated layers', async () => {
    const { json, weights } = await functionalFiles();
    const layers = layersOf(json);
    const h = layers.find((l) => l.name === 'h')!;
    layers.splice(2, 0, ...Array.from({ length: 20_000 }, () => h));
    await expectRejected(filesOf(json, weights), /more than 2000 layers/);
    layers.splice(2, 19_999);
    await expectRejected(filesOf(json, weights), /layer "h" appears more than once/);
  });

  it('a 5 MB name and a long description', async () => {
    const { json, weights } = await functionalFiles();
    await expectRejected(filesOf(json, weights), /name exceeds 65536 bytes/, 'x'.repeat(5_000_000));
    await expectRejected(filesOf(json, weights), /name has 300 characters; at most 200/, 'x'.repeat(300));
    const form = new FormData();
    form.set('name', 'fine');
    form.set('description', 'd'.repeat(3000));
    for (const [fileName, bytes] of Object.entries(filesOf(json, weights))) form.append(fileName, new Blob([Buffer.from(bytes)]), fileName);
    const response = await fetch(`${stack.baseUrl}/api/v1/models`, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'DESCRIPTION_TOO_LONG', field: 'description' });
  });

  it('weights all NaN, or all Inf', async () => {
    const { json, weights } = await functionalFiles();
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const bad = new Float32Array(weights.byteLength / 4).fill(value);
      await expectRejected(filesOf(json, new Uint8Array(bad.buffer)), new RegExp(`h/kernel.* holds ${value}|holds ${value}`));
    }
  });

  it('the untouched model is accepted', async () => {
    const { json, weights } = await functionalFiles();
    const { status } = await uploadModel(stack.baseUrl, 'fine', filesOf(json, weights));
    expect(status).toBe(201);
  });
});

async function submit(model: string, num: number): Promise<string> {
  const { status, body } = await stack.api<{ id: string }>('/api/v1/surfaces', {
    method: 'POST',
    json: { model, dataset: { id: 'spirals', samples: 64 }, grid: { x: { min: -1, max: 1, num } }, engine: 'tfjs' },
  });
  expect(status).toBe(202);
  return body.id;
}

async function settled(id: string): Promise<SurfaceRecord> {
  return until(`surface ${id} to end`, async () => {
    const { body } = await stack.api<SurfaceRecord>(`/api/v1/surfaces/${id}`);
    return body.status !== 'queued' && body.status !== 'running' && body;
  }, { timeoutMs: 300_000 });
}

describe('no chunk holds a worker beyond its time limit', () => {
  it('kills the sandbox of a hung chunk, fails its surface with TIME_LIMIT, and the next surface completes', async () => {
    // A cyclic model stored before uploads were validated: written to the store directly.
    const { body: fine } = await uploadModel(stack.baseUrl, 'fine', filesOf((await functionalFiles()).json, (await functionalFiles()).weights));
    const files = await cyclicFiles();
    const hashes: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(files)) hashes[name] = await stack.app.services.blobs.put(bytes);
    const stored = { ...(fine as unknown as ModelRecord), id: 'm-cyclic', name: 'cyclic', hash: 'c'.repeat(64), files: hashes };
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${stack.dataDir}/models/m-cyclic.json`, JSON.stringify(stored));
    await stack.app.services.models.load();

    const hung = await submit('m-cyclic', 3);
    const healthy = await submit(String(fine.id), 3);
    const failed = await settled(hung);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'TIME_LIMIT' });
    expect(failed.error?.message).toMatch(/limit of 8 s/);
    expect((await settled(healthy)).status).toBe('completed');
  }, 120_000);
});

describe('provenance is complete whatever the sandbox had cached', () => {
  it('two identical requests both record the sample indices hash', async () => {
    const { body: fine } = await uploadModel(stack.baseUrl, 'fine', filesOf((await functionalFiles()).json, (await functionalFiles()).weights));
    const first = await settled(await submit(String(fine.id), 2));
    const second = await settled(await submit(String(fine.id), 2));
    expect(first.status).toBe('completed');
    expect(second.status).toBe('completed');
    expect(first.provenance.dataset.indicesHash).toMatch(/^[0-9a-f]{64}$/);
    expect(second.provenance.dataset.indicesHash).toBe(first.provenance.dataset.indicesHash);
  }, 60_000);
});
