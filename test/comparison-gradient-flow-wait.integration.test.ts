import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../contract/index.ts';
import type { ComparisonRecord } from '../contract/comparisons.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/** Far above a small MLP's gradient flow once the worker's analysis sandbox is up (under a second), short beside the hold below. */
const FLOW_LIMIT_MS = 8000;

let stack: Stack;
let analysis: Queue;

beforeAll(async () => {
  stack = await startStack({ workers: 1, fixtures: null, env: { LA_GRADIENT_FLOW_TIMEOUT_MS: String(FLOW_LIMIT_MS) } });
  const { redis, keys } = stack.app.services;
  analysis = new Queue(QUEUES.analysis, { connection: redis, prefix: keys.bullPrefix });
}, 120_000);

afterAll(async () => {
  await analysis?.close();
  await stack?.stop();
});

async function compare(directionsSeed: number): Promise<string> {
  const submitted = await stack.api<ComparisonRecord>('/api/v1/comparisons', {
    method: 'POST',
    json: {
      members: [{ architecture: { id: 'mlp' } }],
      shared: { dataset: { id: 'spirals', split: 'test', samples: 200 }, grid: { x: { min: -1, max: 1, num: 3 } }, directions: { seed: directionsSeed }, hessian: false },
      training: { epochs: 1, batchSize: 100, seed: 3 },
    },
  });
  expect(submitted.status).toBe(202);
  return submitted.body.id;
}

const record = async (id: string) => (await stack.api<ComparisonRecord>(`/api/v1/comparisons/${id}`)).body;

async function finished(id: string): Promise<ComparisonRecord> {
  return until(`comparison ${id} to finish`, async () => {
    const current = await record(id);
    return current.status !== 'running' && current;
  }, { timeoutMs: 240_000, intervalMs: 250 });
}

describe('a comparison\'s gradient flows', () => {
  it('are waited for from when a worker takes them: time held in a busy queue does not count against LA_GRADIENT_FLOW_TIMEOUT_MS', async () => {
    // A first comparison starts the worker's analysis sandbox, whose start-up a loaded machine may
    // stretch past the limit (its flows may be left out); its jobs run to the end either way.
    expect((await finished(await compare(7))).status).toBe('completed');
    await until('the first gradient-flow jobs to finish', async () => (await analysis.getJobCountByTypes('active', 'waiting')) === 0, { timeoutMs: 180_000, intervalMs: 250 });

    // The analysis queue held, as a long Hessian map ahead of the flows holds it.
    await analysis.pause();
    const id = await compare(8);
    // Both flows (initialisation and trained) queued, then held well past the limit.
    await until('the gradient-flow jobs to be queued', async () => (await analysis.getJobCountByTypes('waiting')) >= 2, { timeoutMs: 180_000, intervalMs: 250 });
    await new Promise((r) => setTimeout(r, FLOW_LIMIT_MS + 4000));
    expect((await record(id)).status).toBe('running');
    await analysis.resume();

    const held = await finished(id);
    expect(held.status).toBe('completed');
    expect(held.members[0]!.gradientFlow.map((f) => f.label)).toEqual(['initialisation', 'trained']);
    expect(held.members[0]!.gradientFlowOmitted).toEqual([]);
    expect(held.members[0]!.gradientFlow[0]!.layers.length).toBeGreaterThan(0);
  }, 300_000);
});
