import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import { readH5 } from '../contract/exports/h5.ts';
import { startStack, type Stack } from './helpers/stack.ts';

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
  for (;;) {
    const { body } = await stack.api<SurfaceRecord>(`/api/v1/surfaces/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(body.status)) return body;
    await new Promise((r) => setTimeout(r, 250));
  }
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
