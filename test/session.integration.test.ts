import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from '../server/plugins/auth.ts';
import { readEventStream } from './helpers/sse.ts';
import { startStack, type Stack } from './helpers/stack.ts';

/**
 * The viewer's sign-in on the real API (no worker: surfaces stay queued until cancelled). The
 * cookie from POST /session stands in for the key on every request, event streams included,
 * and carries the tenant's isolation with it.
 */
const a = newApiKey('tenant-a', 'user');
const b = newApiKey('tenant-b', 'user');
const MAX_AGE_S = 600;

let stack: Stack;
let surfaceA: string;
let surfaceB: string;

const request = { model: 'demo-cnn-skip', dataset: { id: 'mnist', split: 'test', samples: 20 }, grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } } };

/** POST /session; the reply and the `name=value` pair of its cookie (null without one). */
async function signIn(key: string): Promise<{ status: number; body: Record<string, unknown>; setCookie: string | null; cookie: string | null }> {
  const response = await fetch(`${stack.baseUrl}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
  const setCookie = response.headers.get('set-cookie');
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, setCookie, cookie: setCookie?.split(';')[0] ?? null };
}

const withCookie = (cookie: string) => ({ headers: { cookie } });

beforeAll(async () => {
  stack = await startStack({ workers: 0, env: { LA_API_KEYS: JSON.stringify([a.entry, b.entry]), LA_SESSION_MAX_AGE_S: String(MAX_AGE_S) } });
  const createdA = await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', key: a.key, json: request });
  const createdB = await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', key: b.key, json: request });
  expect([createdA.status, createdB.status]).toEqual([202, 202]);
  [surfaceA, surfaceB] = [createdA.body.id, createdB.body.id];
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('viewer sign-in (POST/GET/DELETE /api/v1/session)', () => {
  it('a wrong key is 401 INVALID_API_KEY naming the field, and sets no cookie; a missing key is a 400', async () => {
    const wrong = await signIn('la_not-a-key');
    expect(wrong).toMatchObject({ status: 401, body: { code: 'INVALID_API_KEY', field: 'key' }, setCookie: null });
    const missing = await stack.api('/api/v1/session', { method: 'POST', json: {} });
    expect(missing).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', field: 'key' } });
    expect(await stack.api('/api/v1/session')).toMatchObject({ status: 401, body: { code: 'AUTH_REQUIRED' } });
    const spec = (await (await fetch(`${stack.baseUrl}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(spec.paths['/api/v1/session'] ?? {}).sort()).toEqual(['delete', 'get', 'post']);
  });

  it("the cookie holds the key HttpOnly, SameSite=Strict, for LA_SESSION_MAX_AGE_S; with it the tenant lists and reads its own surfaces, never another tenant's", async () => {
    const session = await signIn(a.key);
    expect(session).toMatchObject({ status: 200, body: { tenant: 'tenant-a', role: 'user' } });
    expect(session.setCookie).toMatch(/^la_session=/);
    for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/', `Max-Age=${MAX_AGE_S}`]) expect(session.setCookie).toContain(attribute);
    // Plain http here: Secure would make the browser drop the cookie.
    expect(session.setCookie).not.toContain('Secure');
    const cookie = session.cookie!;

    expect(await stack.api('/api/v1/session', withCookie(cookie))).toMatchObject({ status: 200, body: { tenant: 'tenant-a', role: 'user', session: true } });
    expect(await stack.api('/api/v1/session', { key: a.key })).toMatchObject({ status: 200, body: { tenant: 'tenant-a', session: false } });
    const listed = await stack.api<{ items: { id: string }[] }>('/api/v1/surfaces', withCookie(cookie));
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((s) => s.id)).toContain(surfaceA);
    expect(listed.body.items.map((s) => s.id)).not.toContain(surfaceB);
    expect((await stack.api(`/api/v1/surfaces/${surfaceB}`, withCookie(cookie))).status).toBe(404);
    expect((await stack.api(`/api/v1/surfaces/${surfaceB}/events`, withCookie(cookie))).status).toBe(404);
    // A key in a header wins over the cookie (a script's key is never shadowed by a sign-in).
    expect(await stack.api('/api/v1/session', { key: b.key, ...withCookie(cookie) })).toMatchObject({ body: { tenant: 'tenant-b', session: false } });
  });

  it("the tenant's own event stream opens with the cookie alone and follows the surface to its end", async () => {
    const { cookie } = await signIn(a.key);
    const stream = await fetch(`${stack.baseUrl}/api/v1/surfaces/${surfaceA}/events`, withCookie(cookie!));
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    expect((await stack.api(`/api/v1/surfaces/${surfaceA}`, { method: 'DELETE', ...withCookie(cookie!) })).body).toMatchObject({ status: 'cancelled' });
    const events = await readEventStream(stream);
    expect(events.at(-1)?.event).toBe('cancelled');
  });

  it('DELETE /session clears the cookie: the browser drops it, and the API asks for a key again', async () => {
    const { cookie } = await signIn(a.key);
    const signOut = await fetch(`${stack.baseUrl}/api/v1/session`, { method: 'DELETE', ...withCookie(cookie!) });
    expect(signOut.status).toBe(204);
    const cleared = signOut.headers.get('set-cookie')!;
    expect(cleared).toMatch(/^la_session=;/);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/);
    // The cleared cookie's (empty) value is what a browser would send next, that is, nothing.
    expect(await stack.api('/api/v1/surfaces', withCookie(cleared.split(';')[0]!))).toMatchObject({ status: 401, body: { code: 'AUTH_REQUIRED' } });
    // A cookie holding a key that is not (or no longer) configured is refused like the header.
    expect(await stack.api('/api/v1/surfaces', withCookie('la_session=la_revoked'))).toMatchObject({ status: 401, body: { code: 'INVALID_API_KEY' } });
  });
});

describe('behind a TLS-terminating proxy (LA_TRUST_PROXY)', () => {
  const postSession = (base: string) =>
    fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: JSON.stringify({ key: a.key }) });

  it("marks the cookie Secure when a trusted proxy says the client came over https, and ignores an untrusted client's claim", async () => {
    const untrusted = await postSession(stack.baseUrl);
    expect(untrusted.status).toBe(200);
    expect(untrusted.headers.get('set-cookie')).not.toContain('Secure');
    // The test connects from loopback: trusting 127.0.0.1 makes it the proxy.
    const proxied = await startStack({ workers: 0, env: { LA_API_KEYS: JSON.stringify([a.entry]), LA_TRUST_PROXY: '127.0.0.1' } });
    try {
      const trusted = await postSession(proxied.baseUrl);
      expect(trusted.status).toBe(200);
      expect(trusted.headers.get('set-cookie')).toContain('Secure');
    } finally {
      await proxied.stop();
    }
  }, 120_000);
});
