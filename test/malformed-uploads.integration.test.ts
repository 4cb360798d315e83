import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 0, fixtures: null });
});
afterAll(async () => {
  await stack?.stop();
});

const BOUNDARY = 'la-test-boundary';

/** A multipart body by hand (fetch's FormData would always be well-formed). */
function multipart(parts: { name: string; filename?: string; content: string }[], end = `--${BOUNDARY}--\r\n`): string {
  return (
    parts
      .map((p) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\n\r\n${p.content}\r\n`)
      .join('') + end
  );
}

async function post(path: string, body: string, contentType = `multipart/form-data; boundary=${BOUNDARY}`) {
  const response = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, body: (await response.json()) as { code?: string; message?: string; field?: string } };
}

const modelJson = (topology: unknown) => JSON.stringify({ format: 'layers-model', modelTopology: topology, weightsManifest: [{ paths: ['w.bin'], weights: [] }] });

describe('malformed multipart bodies answer 400, never 500', () => {
  it('no boundary', async () => {
    const { status, body } = await post('/api/v1/models', multipart([{ name: 'name', content: 'm' }]), 'multipart/form-data');
    expect(status).toBe(400);
    expect(body.code).toBe('MALFORMED_MULTIPART');
  });

  it('a body truncated inside a file names the file', async () => {
    const whole = multipart([
      { name: 'name', content: 'm' },
      { name: 'file', filename: 'model.json', content: '{"modelTopology": {"class_name": "Sequential"' },
    ]);
    const { status, body } = await post('/api/v1/models', whole.slice(0, whole.indexOf('Sequential')));
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'MALFORMED_MULTIPART', field: 'model.json' });
  });

  it('a body that ends before its closing boundary', async () => {
    const { status, body } = await post('/api/v1/datasets', multipart([{ name: 'name', content: 'd' }], `--${BOUNDARY}\r\n`));
    expect(status).toBe(400);
    expect(body.code).toBe('MALFORMED_MULTIPART');
  });
});

describe('hostile model.json and dataset JSON answer 400 naming the file', () => {
  const upload = (content: string) => post('/api/v1/models', multipart([{ name: 'name', content: 'm' }, { name: 'file', filename: 'model.json', content }]));

  it('config.layers = 0, [null], and 20,000-deep nesting', async () => {
    const cases: [unknown, RegExp][] = [
      [{ class_name: 'Sequential', config: { name: 's', layers: 0 } }, /config.layers that is not an array/],
      [{ class_name: 'Sequential', config: { name: 's', layers: [null] } }, /layer 0 of "s" is not a layer/],
    ];
    for (const [topology, message] of cases) {
      const { status, body } = await upload(modelJson(topology));
      expect(status, JSON.stringify(body)).toBe(400);
      expect(body.field).toBe('model.json');
      expect(body.message).toMatch(message);
    }
    // Written as text: JSON.stringify itself overflows the stack at this depth.
    const open = '{"class_name": "Sequential", "config": {"name": "s", "layers": ['.repeat(20_000);
    const deep = `${open}{"class_name": "Dense", "config": {"name": "leaf"}}${']}}'.repeat(20_000)}`;
    const deepModel = modelJson('TOPOLOGY').replace('"TOPOLOGY"', deep);
    for (const [topology, message] of [[deepModel, /nests models more than 16 deep/]] as const) {
      const { status, body } = await upload(topology);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(body.field).toBe('model.json');
      expect(body.message).toMatch(message);
    }
  });

  it('a dataset JSON nested 5,000 deep', async () => {
    const content = `{"x": ${'['.repeat(5000)}1${']'.repeat(5000)}, "y": [0]}`;
    const { status, body } = await post('/api/v1/datasets', multipart([{ name: 'name', content: 'd' }, { name: 'file', filename: 'deep.json', content }]));
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.field).toBe('deep.json:x');
    expect(body.message).toMatch(/nests arrays more than 8 deep/);
  });
});

describe('manifest paths and empty models', () => {
  const dense = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 1, batch_input_shape: [null, 1] } }] } };
  const upload = (json: unknown) =>
    post('/api/v1/models', multipart([{ name: 'name', content: 'm' }, { name: 'file', filename: 'model.json', content: JSON.stringify(json) }]));

  it('a manifest path named like an Object.prototype member is a missing shard, named', async () => {
    for (const path of ['__proto__', 'constructor', 'toString']) {
      const { status, body } = await upload({ modelTopology: dense, weightsManifest: [{ paths: [path], weights: [{ name: 'd/kernel', shape: [1, 1], dtype: 'float32' }] }] });
      expect(status, path).toBe(400);
      expect(body).toMatchObject({ field: path, message: `${path}: is named by model.json weightsManifest but was not uploaded` });
    }
  });

  it('a model with no layers and no weights is refused', async () => {
    const { status, body } = await upload({ modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [] } }, weightsManifest: [{ paths: [], weights: [] }] });
    expect(status).toBe(400);
    expect(body.message).toMatch(/has no layers/);
    const noWeights = await upload({ modelTopology: dense, weightsManifest: [{ paths: [], weights: [] }] });
    expect(noWeights.status).toBe(400);
    expect(noWeights.body.message).toMatch(/names no weights/);
  });
});
