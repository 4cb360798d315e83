import { request } from 'node:http';
import { createDeflateRaw, crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 0, fixtures: null });
});
afterAll(async () => {
  await stack?.stop();
});

/** A .npy header for float32 data of this shape, padded to 64 bytes as NumPy writes it. */
function npyHeader(shape: number[]): Uint8Array {
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
  dict += ' '.repeat(64 - ((10 + dict.length + 1) % 64)) + '\n';
  const header = new Uint8Array(10 + dict.length);
  header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, dict.length & 0xff, dict.length >> 8]);
  header.set(new TextEncoder().encode(dict), 10);
  return header;
}

/**
 * An .npz (zip) with one deflated member x.npy of `megabytes` MB of float32 zeros: about 1/1000
 * of that on the wire. Deflated by node:zlib in chunks, never held whole.
 */
async function zeroNpz(megabytes: number): Promise<Buffer> {
  const header = npyHeader([(megabytes * 2 ** 20) / 4]);
  const zeros = new Uint8Array(2 ** 20);
  const deflate = createDeflateRaw({ level: 9 });
  const compressed: Buffer[] = [];
  deflate.on('data', (c: Buffer) => compressed.push(c));
  const ended = new Promise((r) => deflate.on('end', r));
  let crc = crc32(header);
  deflate.write(header);
  for (let i = 0; i < megabytes; i++) {
    crc = crc32(zeros, crc);
    if (!deflate.write(zeros)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await ended;
  const data = Buffer.concat(compressed);
  const size = header.length + megabytes * 2 ** 20;
  const name = Buffer.from('x.npy');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + name.length, 12);
  end.writeUInt32LE(30 + name.length + data.length, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

/** A multipart POST written whole over a raw socket; `sent` resolves once the last byte is written. */
function postMultipart(url: string, parts: { name: string; filename?: string; content: Buffer }[]) {
  const boundary = 'la-decode-boundary';
  const body = Buffer.concat([
    ...parts.flatMap((p) => [
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\n\r\n`),
      p.content,
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  let sent!: () => void;
  const written = new Promise<void>((r) => (sent = r));
  const response = new Promise<{ status: number; body: { code?: string; field?: string; message?: string } }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end(body, sent);
  });
  return { written, response };
}

describe('uploads are decoded off the event loop, within memory and time limits', () => {
  it('a 389 KB npz declaring a 400 MB member is refused with 400 naming the member, and /health answers meanwhile', async () => {
    const npz = await zeroNpz(400);
    expect(npz.length).toBeLessThan(500 * 1024);
    const upload = postMultipart(`${stack.baseUrl}/api/v1/datasets`, [
      { name: 'name', content: Buffer.from('bomb') },
      { name: 'file', filename: 'bomb.npz', content: npz },
    ]);
    await upload.written;
    // Health checks one after another until the upload is answered: decoding on the event loop
    // would hold them all until it finished.
    let pending = true;
    void upload.response.finally(() => (pending = false));
    let healthAnswers = 0;
    while (pending) {
      expect((await stack.api('/health')).status).toBe(200);
      if (pending) healthAnswers++;
    }
    const { status, body } = await upload.response;
    expect(status).toBe(400);
    expect(body.field).toBe('bomb.npz/x.npy');
    expect(body.message).toMatch(/declares 400 MB uncompressed/);
    expect(healthAnswers).toBeGreaterThanOrEqual(3);
  }, 60_000);
});

describe('decode limits are configurable', () => {
  let limited: Stack;
  beforeAll(async () => {
    limited = await startStack({ workers: 0, fixtures: null, env: { UPLOAD_DECODE_MEMORY_MB: '64', UPLOAD_DECODE_TIMEOUT_MS: '60000' } });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('a dataset whose decoding needs more heap than allowed is a 400 naming the file, and the API lives', async () => {
    // 10M numbers: about 40 MB of JSON, 80 MB of heap once parsed.
    const row = Array.from({ length: 1000 }, () => 0.5);
    const json = `{"x": [${Array.from({ length: 10_000 }, () => JSON.stringify(row)).join(',')}], "y": [${Array.from({ length: 10_000 }, (_, i) => i % 2).join(',')}]}`;
    const { status, body } = await postMultipart(`${limited.baseUrl}/api/v1/datasets`, [
      { name: 'name', content: Buffer.from('heavy') },
      { name: 'file', filename: 'heavy.json', content: Buffer.from(json) },
    ]).response;
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'UPLOAD_TOO_COMPLEX', field: 'heavy.json' });
    expect(body.message).toMatch(/more than 64 MB/);
    expect((await limited.api('/health')).status).toBe(200);
  }, 60_000);
});

describe('decode time limit', () => {
  let hurried: Stack;
  beforeAll(async () => {
    hurried = await startStack({ workers: 0, fixtures: null, env: { UPLOAD_DECODE_TIMEOUT_MS: '1' } });
  });
  afterAll(async () => {
    await hurried?.stop();
  });

  it('a decode past the time limit is killed and answered with a 400 naming the file', async () => {
    const { status, body } = await postMultipart(`${hurried.baseUrl}/api/v1/datasets`, [
      { name: 'name', content: Buffer.from('slow') },
      { name: 'file', filename: 'slow.json', content: Buffer.from('{"x": [[0], [1]], "y": [0, 1]}') },
    ]).response;
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'UPLOAD_DECODE_TIMEOUT', field: 'slow.json' });
  }, 60_000);
});
