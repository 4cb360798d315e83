import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';

/**
 * Bounded, seeded fuzzing of every route in the OpenAPI spec against the real stack: bodies and
 * parameters drawn from each route's own schema (valid, near-valid and arbitrary), multipart
 * uploads of random files, and ids of real resources mixed with random ones. No answer may be a
 * 5xx (but /ready's 503, as no worker runs here), and the API must be alive and not much larger
 * afterwards.
 */
/** Fixed so CI is reproducible; FUZZ_SEED explores others. */
const SEED = Number(process.env.FUZZ_SEED ?? 1313);
/** Runs per route; uploads decode in a child process each, so they get fewer. */
const RUNS = { plain: 80, upload: 15 };
/** The API (this process) may grow this much over the whole run: caches warm, V8 heaps grow. */
const RSS_GROWTH_LIMIT_MB = 400;

type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  $ref?: string;
};
interface Operation {
  method: string;
  path: string;
  parameters: { in: string; name: string; schema?: Schema }[];
  jsonBody?: Schema;
  multipart: boolean;
}

let stack: Stack;
let spec: { paths: Record<string, Record<string, { parameters?: Operation['parameters']; requestBody?: { content: Record<string, { schema: Schema }> }; consumes?: string[] }>>; components?: { schemas?: Record<string, Schema> } };
let knownIds: string[] = [];
const statusCounts = new Map<number, number>();
let rssGrowthMb = 0;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  spec = (await stack.api<typeof spec>('/docs/json')).body;
  const lists = await Promise.all(['/api/v1/models', '/api/v1/surfaces', '/api/v1/comparisons', '/api/v1/trainings', '/api/v1/datasets'].map((p) => stack.api<{ items: { id: string }[] }>(p)));
  const queued = await stack.api<{ id: string }>('/api/v1/surfaces', {
    method: 'POST',
    json: { model: 'demo-cnn-skip', dataset: { id: 'mnist', split: 'test', samples: 10 }, grid: { x: { min: -1, max: 1, num: 3 } } },
  });
  knownIds = [...new Set([...lists.flatMap((l) => l.body.items.map((i) => i.id)), queued.body.id])];
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  const total = [...statusCounts.values()].reduce((n, c) => n + c, 0);
  console.log(`fuzz (seed ${SEED}): ${total} requests, status counts ${JSON.stringify(Object.fromEntries([...statusCounts].sort(([a], [b]) => a - b)))}, RSS growth ${rssGrowthMb.toFixed(0)} MB`);
});

function operations(): Operation[] {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      jsonBody: op.requestBody?.content['application/json']?.schema,
      multipart: Boolean(op.requestBody?.content['multipart/form-data'] ?? op.consumes?.includes('multipart/form-data')) || (method === 'post' && !op.requestBody),
    })),
  );
}

/** Values drawn from a JSON schema, now and then broken (a wrong type, an arbitrary value) to probe validation. */
function fromSchema(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const wild = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, -1, 0, 1e308, -1e-308, '', 'x'.repeat(300), [], {}, '__proto__'));
  if (!schema || depth > 5) return wild;
  if (schema.$ref) return fromSchema(spec.components?.schemas?.[schema.$ref.split('/').pop()!], depth + 1);
  let exact: fc.Arbitrary<unknown>;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (schema.const !== undefined) exact = fc.constant(schema.const);
  else if (schema.enum) exact = fc.constantFrom(...schema.enum);
  else if (schema.anyOf ?? schema.oneOf) exact = fc.oneof(...(schema.anyOf ?? schema.oneOf)!.map((s) => fromSchema(s, depth + 1)));
  else if (type === 'object' || schema.properties) {
    const entries = Object.entries(schema.properties ?? {});
    exact = fc.record(Object.fromEntries(entries.map(([k, s]) => [k, fromSchema(s, depth + 1)])), { requiredKeys: [] });
  } else if (type === 'array') exact = fc.array(fromSchema(schema.items, depth + 1), { maxLength: 4 });
  else if (type === 'integer') {
    const min = typeof schema.minimum === 'number' ? schema.minimum : -10;
    const max = typeof schema.maximum === 'number' ? schema.maximum : 1000;
    exact = fc.oneof(fc.integer({ min: Math.max(min, -1e6), max: Math.min(max, min + 50, 1e6) }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }));
  } else if (type === 'number') exact = fc.oneof(fc.double({ noNaN: true, min: -10, max: 10 }), fc.double());
  else if (type === 'boolean') exact = fc.boolean();
  else if (type === 'string') exact = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...knownIds, 'mnist', 'moons', 'demo-cnn-skip'));
  else exact = wild;
  return fc.oneof({ arbitrary: exact, weight: 5 }, { arbitrary: wild, weight: 1 });
}

const idArbitrary = () => fc.oneof(fc.constantFrom(...knownIds), fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', '..%2F..', 'x'.repeat(200)));

const uploadNames = ['model.json', 'weights.bin', 'model.onnx', 'x.npy', 'y.npy', 'data.npz', 'data.json', 'directions.h5', 'surface.h5', 'x.bin'];
/** A multipart form of random fields and files (bytes random, or a JSON document, or a zip/npy/HDF5 magic with garbage after it). */
const formArbitrary = fc.record({
  name: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
  fields: fc.dictionary(fc.constantFrom('description', 'dataset', 'task', 'model', 'grid', 'format'), fc.string({ maxLength: 40 }), { maxKeys: 3 }),
  files: fc.array(
    fc.record({
      name: fc.constantFrom(...uploadNames),
      bytes: fc.oneof(
        fc.uint8Array({ maxLength: 2048 }),
        fc.jsonValue({ maxDepth: 3 }).map((v) => new TextEncoder().encode(JSON.stringify(v))),
        fc.tuple(fc.constantFrom([0x50, 0x4b, 0x03, 0x04], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), fc.uint8Array({ maxLength: 512 })).map(
          ([magic, rest]) => new Uint8Array([...magic, ...rest]),
        ),
      ),
    }),
    { maxLength: 3 },
  ),
});

async function send(method: string, url: string, init: RequestInit = {}): Promise<number> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  try {
    const response = await fetch(`${stack.baseUrl}${url}`, { ...init, method, signal: controller.signal });
    // Event streams of unfinished jobs stay open: their status is all that is judged.
    if (response.headers.get('content-type')?.startsWith('text/event-stream')) await response.body?.cancel();
    else await response.arrayBuffer();
    statusCounts.set(response.status, (statusCounts.get(response.status) ?? 0) + 1);
    return response.status;
  } finally {
    clearTimeout(timer);
  }
}

function expectNoServerError(method: string, url: string, status: number) {
  const allowed = status < 500 || (url === '/ready' && status === 503);
  expect(allowed, `${method} ${url} answered ${status}`).toBe(true);
}

describe('fuzzing every route of the OpenAPI spec', () => {
  it('answers no request with a 5xx, stays alive and bounded in memory', async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(25);
    const rssBefore = process.memoryUsage().rss;
    for (const op of ops) {
      const pathParams = op.parameters.filter((p) => p.in === 'path');
      const queryParams = op.parameters.filter((p) => p.in === 'query');
      const request = fc.record({
        path: fc.tuple(...pathParams.map((p) => (p.schema?.enum ? fc.oneof(fc.constantFrom(...p.schema.enum), idArbitrary()) : idArbitrary()))),
        query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, fc.oneof(fromSchema(p.schema), fc.string())])), { requiredKeys: [] }),
        body: op.jsonBody ? fromSchema(op.jsonBody) : op.multipart ? formArbitrary : fc.constant(undefined),
        contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain', 'multipart/form-data; boundary=x'),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ path, query, body, contentType }) => {
          let k = 0;
          const url =
            op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(String(path[k++]))) +
            (Object.keys(query).length ? `?${new URLSearchParams(Object.entries(query).map(([key, v]) => [key, typeof v === 'string' ? v : JSON.stringify(v)]))}` : '');
          let init: RequestInit = {};
          if (op.multipart && body) {
            const form = new FormData();
            const { name, fields, files } = body as { name?: string; fields: Record<string, string>; files: { name: string; bytes: Uint8Array }[] };
            if (name !== undefined) form.set('name', name);
            for (const [key, value] of Object.entries(fields)) form.set(key, value);
            for (const file of files) form.append('file', new Blob([Buffer.from(file.bytes)]), file.name);
            init = { body: form };
          } else if (body !== undefined) {
            init = { body: JSON.stringify(body), headers: { 'content-type': contentType } };
          }
          expectNoServerError(op.method, url, await send(op.method, url, init));
        }),
        { seed: SEED, numRuns: op.multipart ? RUNS.upload : RUNS.plain, endOnFailure: true },
      );
    }
    const total = [...statusCounts.values()].reduce((n, c) => n + c, 0);
    expect(total).toBeGreaterThan(2000);
    expect((await stack.api('/health')).status).toBe(200);
    rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    expect(rssGrowthMb).toBeLessThan(RSS_GROWTH_LIMIT_MB);
  }, 300_000);
});
