import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import { readH5 } from '../contract/exports/h5.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/** The CLI, the export routes and the imports against the real stack (API, Redis, worker processes). */
const root = resolve(import.meta.dirname, '..');
let stack: Stack;
let dir: string;
let finished: SurfaceResult;

const request = {
  model: 'demo-cnn-skip',
  dataset: { id: 'mnist', split: 'test' as const, samples: 60, sampleSeed: 3 },
  directions: { seed: 11 },
  grid: { x: { min: -1, max: 1, num: 4 }, y: { min: -0.5, max: 0.5, num: 3 } },
};

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, 'cli/loss-atlas.mjs'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('exit', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

async function waitFor(id: string): Promise<SurfaceRecord> {
  return until(`surface ${id} to end`, async () => {
    const { body } = await stack.api<SurfaceRecord>(`/api/v1/surfaces/${id}`);
    return ['completed', 'failed', 'cancelled'].includes(body.status) && body;
  }, { intervalMs: 250 });
}

async function submitAndWait(body: unknown): Promise<SurfaceResult> {
  const submitted = await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json: body });
  expect(submitted.status).toBe(202);
  expect((await waitFor(submitted.body.id)).status).toBe('completed');
  return (await stack.api<SurfaceResult>(`/api/v1/surfaces/${submitted.body.id}/result`)).body;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loss-atlas-interop-'));
  stack = await startStack({ workers: 1 });
  finished = await submitAndWait(request);
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('loss-atlas CLI', () => {
  it('--help lists every command with an example and the exit codes', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of ['surface', 'submit', 'get']) expect(stdout).toMatch(new RegExp(`^\\s+${command} `, 'm'));
    for (const command of ['surface', 'submit', 'get']) expect(stdout).toMatch(new RegExp(`^\\s+loss-atlas ${command} `, 'm'));
    expect(stdout).toContain('Exit codes: 0 ok, 2 bad arguments');
    const surfaceHelp = await cli(['surface', '--help']);
    expect(surfaceHelp.code).toBe(0);
    expect(surfaceHelp.stdout).toContain('--xnorm');
    expect(surfaceHelp.stdout).toContain('Example:');
  });

  it('bad arguments exit with 2 and a message naming the flag', async () => {
    const base = ['surface', '--model', 'fixtures/models/demo-cnn-skip', '--dataset', 'mnist', '--out', join(dir, 'a.json')];
    const cases: [string[], string][] = [
      [[...base, '--x=1:-1:5'], '--x'],
      [[...base, '--x=-1:1:5', '--samples', '0'], '--samples'],
      [[...base, '--x=-1:1:5', '--xnorm', 'sideways'], '--xnorm'],
      [[...base, '--x=-1:1:5', '--bogus'], '--bogus'],
      [['surface', '--model', 'fixtures/models/none', '--dataset', 'mnist', '--x=-1:1:5', '--out', join(dir, 'a.json')], '--model'],
      [['surface', '--model', 'fixtures/models/demo-cnn-skip', '--dataset', 'spirals', '--x=-1:1:5', '--out', join(dir, 'a.json')], '--dataset'],
      [[...base.slice(0, -2), '--out', join(dir, 'a.xyz'), '--x=-1:1:5'], '--out'],
    ];
    for (const [args, flag] of cases) {
      const { code, stderr } = await cli(args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toContain(flag);
    }
  }, 600_000);

  it('surface computes locally the values the service gives for the same request', async () => {
    const out = join(dir, 'local.json');
    const { code, stderr } = await cli([
      'surface', '--model', 'fixtures/models/demo-cnn-skip', '--dataset', 'mnist', '--split', 'test', '--samples', '60', '--sample-seed', '3',
      '--seed', '11', '--x=-1:1:4', '--y=-0.5:0.5:3', '--workers', '2', '--out', out,
    ]);
    expect(stderr).toContain('wrote');
    expect(code).toBe(0);
    const local = JSON.parse(await readFile(out, 'utf8')) as SurfaceResult;
    expect(local.loss).toEqual(finished.loss);
    expect(local.accuracy).toEqual(finished.accuracy);
    expect(local.lossStdError).toEqual(finished.lossStdError);
    expect(local.axes).toEqual(finished.axes);
    expect(local.provenance.model.hash).toBe(finished.provenance.model.hash);
    expect(local.provenance.dataset.indicesHash).toBe(finished.provenance.dataset.indicesHash);
    expect(local.provenance.directions.hash).toBe(finished.provenance.directions.hash);
    expect(local.provenance.engine).toEqual(finished.provenance.engine);
  }, 600_000);
});

describe('export routes', () => {
  const contentTypes = { h5: 'application/x-hdf5', vtp: 'application/xml', obj: 'text/plain', stl: 'model/stl', npz: 'application/zip', csv: 'text/csv', json: 'application/json' };

  it('serve every format of a finished surface with its content type', async () => {
    for (const [format, type] of Object.entries(contentTypes)) {
      const response = await fetch(`${stack.baseUrl}/api/v1/surfaces/${finished.id}/export.${format}`);
      expect({ format, status: response.status }).toEqual({ format, status: 200 });
      expect(response.headers.get('content-type')).toContain(type);
      expect(response.headers.get('content-disposition')).toContain(`.${format}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (format === 'h5') {
        const loss = await readH5(bytes, (file) => Array.from((file.get('test_loss') as unknown as { value: Float64Array }).value));
        expect(loss).toEqual(finished.loss.flat());
      }
      if (format === 'vtp') expect(new TextDecoder().decode(bytes)).toContain('NumberOfPoints="12"');
    }
  });

  it('list every format in the OpenAPI spec', async () => {
    const spec = (await stack.api<{ paths: Record<string, { get: { responses: Record<string, { content?: Record<string, unknown> }>; description?: string } }> }>('/docs/json')).body;
    const route = spec.paths['/api/v1/surfaces/{id}/export.{format}']!.get;
    for (const type of Object.values(contentTypes)) expect(Object.keys(route.responses['200']!.content!)).toContain(type);
    for (const format of Object.keys(contentTypes)) expect(route.description).toContain(`${format} (`);
    expect(spec.paths['/api/v1/surfaces/{id}/directions/export.{format}']).toBeDefined();
  });

  it('409 until the surface is completed, 404 for an unknown id, 400 naming format for an unknown one', async () => {
    const big = { ...request, dataset: { ...request.dataset, samples: 2000 }, grid: { x: { min: -1, max: 1, num: 41 }, y: { min: -1, max: 1, num: 41 } } };
    const submitted = await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json: big });
    const early = await stack.api<{ code: string }>(`/api/v1/surfaces/${submitted.body.id}/export.h5`);
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('SURFACE_NOT_READY');
    await stack.api(`/api/v1/surfaces/${submitted.body.id}`, { method: 'DELETE' });
    expect((await stack.api('/api/v1/surfaces/no-such-surface/export.csv')).status).toBe(404);
    const unknown = await stack.api<{ field: string; message: string }>(`/api/v1/surfaces/${finished.id}/export.xlsx`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.field).toBe('format');
    expect(unknown.body.message).toContain('h5, vtp, obj, stl, npz, csv, json');
  });
});

describe('imports', () => {
  async function postForm(path: string, parts: Record<string, string | { name: string; bytes: Uint8Array }>) {
    const form = new FormData();
    for (const [field, value] of Object.entries(parts)) {
      if (typeof value === 'string') form.append(field, value);
      else form.append(field, new Blob([value.bytes.slice()]), value.name);
    }
    const response = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', body: form });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function resultOf(id: string): Promise<SurfaceResult> {
    expect((await waitFor(id)).status).toBe('completed');
    return (await stack.api<SurfaceResult>(`/api/v1/surfaces/${id}/result`)).body;
  }

  /**
   * A direction file written as net_plotter.setup_direction writes one (h5_util.write_list): no
   * names, datasets 0 … n-1 of the trainable tensors in order, built here from the raw float32
   * directions of the finished surface and the model's parameter list.
   */
  async function referenceDirectionFile(): Promise<Uint8Array> {
    const { writeH5 } = await import('../contract/exports/h5.ts');
    const raw = new Float32Array(await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${finished.id}/directions`)).arrayBuffer());
    const model = (await stack.api<{ parameters: { trainable: boolean; offset: number; size: number; shape: number[] }[]; parameterCount: number }>('/api/v1/models/demo-cnn-skip')).body;
    const trainable = model.parameters.filter((p) => p.trainable);
    return writeH5((file) => {
      ['xdirection', 'ydirection'].forEach((group, g) => {
        const h5group = file.create_group(group);
        trainable.forEach((p, i) => {
          const start = g * model.parameterCount + p.offset;
          h5group.create_dataset({ name: String(i), data: raw.slice(start, start + p.size), shape: p.shape });
        });
      });
    });
  }

  it('a reference-layout direction h5 gives the same surface as the same directions generated from the seed', async () => {
    const bytes = await referenceDirectionFile();
    const submitted = await postForm('/api/v1/surfaces/with-directions', { request: JSON.stringify(request), directions: { name: 'directions.h5', bytes } });
    expect(submitted.status).toBe(202);
    const imported = await resultOf(submitted.body.id as string);
    expect(imported.loss).toEqual(finished.loss);
    expect(imported.accuracy).toEqual(finished.accuracy);
    expect(imported.provenance.directions.hash).toBe(finished.provenance.directions.hash);
    expect(imported.provenance.directions.rng).toMatch(/^imported: directions\.h5 \(sha256 [0-9a-f]{64}\)$/);
  });

  it('the directions npz export, sent back, gives the same surface too', async () => {
    const npz = new Uint8Array(await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${finished.id}/directions/export.npz`)).arrayBuffer());
    const submitted = await postForm('/api/v1/surfaces/with-directions', { request: JSON.stringify(request), directions: { name: 'directions.npz', bytes: npz } });
    expect(submitted.status).toBe(202);
    expect((await resultOf(submitted.body.id as string)).loss).toEqual(finished.loss);
  });

  it('a direction file for another model is a 400 listing every tensor that does not match', async () => {
    const h5 = new Uint8Array(await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${finished.id}/directions/export.h5`)).arrayBuffer());
    // demo-cnn-plain has the very tensors of demo-cnn-skip (only the graph differs): its file fits. ResNet-20 does not.
    const fits = await postForm('/api/v1/surfaces/with-directions', { request: JSON.stringify({ ...request, model: 'demo-cnn-plain' }), directions: { name: 'd.h5', bytes: h5 } });
    expect(fits.status).toBe(202);
    await stack.api(`/api/v1/surfaces/${fits.body.id}`, { method: 'DELETE' });
    const other = await postForm('/api/v1/surfaces/with-directions', { request: JSON.stringify({ ...request, model: 'zoo-resnet20-fashion' }), directions: { name: 'd.h5', bytes: h5 } });
    const resnet = (await stack.api<{ parameters: { name: string }[] }>('/api/v1/models/zoo-resnet20-fashion')).body.parameters.map((p) => p.name);
    // The file holds the trainable tensors (mode weights), as net.parameters() would.
    const skip = (await stack.api<{ parameters: { name: string; trainable: boolean }[] }>('/api/v1/models/demo-cnn-skip')).body.parameters.filter((p) => p.trainable).map((p) => p.name);
    expect(other.status).toBe(400);
    expect(other.body.field).toBe('directions');
    const foreign = skip.filter((n) => !resnet.includes(n));
    expect(foreign.length).toBeGreaterThan(0);
    for (const name of foreign) expect(other.body.message).toContain(`"${name}"`);
    const bad = await postForm('/api/v1/surfaces/with-directions', { request: JSON.stringify({ ...request, grid: { x: request.grid.x, y: { ...request.grid.y, num: 500 } } }), directions: { name: 'd.h5', bytes: h5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('request.grid.y.num');
  });

  it('a reference surface h5 becomes a read-only completed surface marked imported', async () => {
    const h5 = new Uint8Array(await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${finished.id}/export.h5`)).arrayBuffer());
    const created = await postForm('/api/v1/surfaces/import', { name: 'from the reference', surface: { name: 'surface.h5', bytes: h5 } });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('completed');
    const result = (await stack.api<SurfaceResult>(`/api/v1/surfaces/${created.body.id}/result`)).body;
    expect(result.loss).toEqual(finished.loss);
    result.accuracy!.flat().forEach((a, k) => expect(a).toBeCloseTo(finished.accuracy!.flat()[k]!, 12));
    expect(result.provenance.imported).toMatchObject({ format: 'h5', file: 'surface.h5' });
    expect(result.axes).toEqual(finished.axes);
    const notH5 = await postForm('/api/v1/surfaces/import', { surface: { name: 'x.h5', bytes: new Uint8Array([1, 2, 3]) } });
    expect(notH5.status).toBe(400);
    expect(notH5.body.field).toBe('x.h5');
  });
});
