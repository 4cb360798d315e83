import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 0, fixtures: null, env: { REQUEST_TIMEOUT_MS: '1000' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('health and readiness', () => {
  it('/ready is 503 until a worker beats, then 200; /health counts workers from the registry, not from KEYS', async () => {
    expect(await stack.api('/ready')).toEqual({ status: 503, body: { ready: false, redis: 'up', workers: 0 } });
    const { redis, keys } = stack.app.services;
    // A stray heartbeat key without a registry entry (KEYS would count it), and a registry entry
    // whose heartbeat expired a minute ago (dropped from the set when read).
    await redis.set(keys.worker('stray'), JSON.stringify({ id: 'stray', engines: [] }), 'EX', 60);
    await redis.zadd(keys.workers, Date.now() - 60_000, 'expired');
    expect((await stack.api('/health')).body).toMatchObject({ status: 'degraded', redis: 'up', workers: 0 });
    expect(await redis.zscore(keys.workers, 'expired')).toBeNull();

    await stack.addWorker();
    expect(await stack.api('/ready')).toEqual({ status: 200, body: { ready: true, redis: 'up', workers: 1 } });
    expect((await stack.api('/health')).body).toMatchObject({ status: 'ok', workers: 1 });
  }, 150_000);
});


describe('request timeout', () => {
  it('a socket that sends its headers and half its body is answered 408 and closed by the server', async () => {
    const { port } = new URL(stack.baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('POST /api/v1/surfaces HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n' + '{"model": "' + 'm'.repeat(489));
    // REQUEST_TIMEOUT_MS is 1000 here; without it the socket would stay open past this test's own timeout.
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  }, 15_000);
});
