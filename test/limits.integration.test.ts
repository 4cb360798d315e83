import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from '../server/plugins/auth.ts';
import { startStack, type Stack } from './helpers/stack.ts';

/** Rate limits, quotas, CORS, the Host allow-list and cross-site form posts, on the real API with small limits (no worker: jobs stay queued). */
const rate = newApiKey('rate', 'user');
const other = newApiKey('other', 'user');
const jobs = newApiKey('jobs', 'user');
const points = newApiKey('points', 'user');
const ensemble = newApiKey('ensemble', 'user');
const RATE_LIMIT = 15;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    workers: 0,
    fixtures: null,
    env: {
      LA_API_KEYS: JSON.stringify([rate.entry, other.entry, jobs.entry, points.entry, ensemble.entry]),
      LA_RATE_LIMIT_MAX: String(RATE_LIMIT),
      LA_QUOTA_JOBS: '2',
      LA_QUOTA_POINTS: '30',
      LA_CORS_ORIGINS: 'http://viewer.example',
    },
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const surface = (num: number) => ({ model: 'missing-model', dataset: { id: 'moons' }, grid: { x: { min: -1, max: 1, num }, y: { min: -1, max: 1, num } } });

describe('rate limits', () => {
  it('429 RATE_LIMITED past LA_RATE_LIMIT_MAX requests of one tenant; other tenants and /health are not counted', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT; i++) statuses.push((await stack.api('/api/v1/datasets', { key: rate.key })).status);
    expect(statuses.every((status) => status === 200)).toBe(true);
    const limited = await stack.api('/api/v1/datasets', { key: rate.key });
    expect(limited).toMatchObject({ status: 429, body: { statusCode: 429, code: 'RATE_LIMITED', error: 'Too Many Requests' } });
    expect((await stack.api('/api/v1/datasets', { key: other.key })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await stack.api('/health')).status).toBe(200);
  });
});

describe('quotas', () => {
  it('429 QUOTA_EXCEEDED naming LA_QUOTA_JOBS past the concurrent jobs of a tenant', async () => {
    // Queued trainings count as jobs (a surface would need a model; there are no fixtures here).
    const training = { architecture: { id: 'mlp', width: 0.5 }, dataset: { id: 'moons' }, epochs: 1 };
    expect((await stack.api('/api/v1/trainings', { method: 'POST', key: jobs.key, json: training })).status).toBe(202);
    expect((await stack.api('/api/v1/trainings', { method: 'POST', key: jobs.key, json: training })).status).toBe(202);
    const third = await stack.api<{ message: string }>('/api/v1/trainings', { method: 'POST', key: jobs.key, json: training });
    expect(third).toMatchObject({ status: 429, body: { code: 'QUOTA_EXCEEDED' } });
    expect(third.body.message).toContain('LA_QUOTA_JOBS');
    expect((await stack.api('/api/v1/surfaces', { method: 'POST', key: jobs.key, json: surface(2) })).body).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    // Another tenant is not held back; its admissions take turns, so concurrent requests cannot both take the last place.
    const concurrent = await Promise.all([1, 2, 3].map(() => stack.api('/api/v1/trainings', { method: 'POST', key: other.key, json: training })));
    expect(concurrent.map((r) => r.status).sort()).toEqual([202, 202, 429]);
  });

  it('429 QUOTA_EXCEEDED naming LA_QUOTA_POINTS and the grid when a request would pass the grid points of a tenant', async () => {
    const tooMany = await stack.api<{ message: string }>('/api/v1/surfaces', { method: 'POST', key: points.key, json: surface(6) });
    expect(tooMany).toMatchObject({ status: 429, body: { code: 'QUOTA_EXCEEDED', field: 'grid' } });
    expect(tooMany.body.message).toContain('LA_QUOTA_POINTS');
    // Within the quota the request goes on to its own checks.
    expect((await stack.api('/api/v1/surfaces', { method: 'POST', key: points.key, json: surface(5) })).body).toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});

describe('quotas of direction ensembles', () => {
  const ensembleOf = (k: number, num: number) => ({ ...surface(num), directions: { ensemble: k } });

  it('count k× the grid\'s points: an ensemble of 2 on 4×4 (32 points) passes the 30 points a single 4×4 surface is within', async () => {
    const tooMany = await stack.api<{ message: string }>('/api/v1/surfaces', { method: 'POST', key: ensemble.key, json: ensembleOf(2, 4) });
    expect(tooMany).toMatchObject({ status: 429, body: { code: 'QUOTA_EXCEEDED', field: 'grid' } });
    expect(tooMany.body.message).toContain('32 more would pass the limit (LA_QUOTA_POINTS) of 30');
    expect((await stack.api('/api/v1/surfaces', { method: 'POST', key: ensemble.key, json: surface(4) })).body).toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('count k jobs: an ensemble of 3 passes LA_QUOTA_JOBS = 2, one of 2 is within it', async () => {
    const tooMany = await stack.api<{ message: string }>('/api/v1/surfaces', { method: 'POST', key: ensemble.key, json: ensembleOf(3, 2) });
    expect(tooMany).toMatchObject({ status: 429, body: { code: 'QUOTA_EXCEEDED' } });
    expect(tooMany.body.message).toContain('LA_QUOTA_JOBS) is 2, 3 more would pass it');
    expect((await stack.api('/api/v1/surfaces', { method: 'POST', key: ensemble.key, json: ensembleOf(2, 2) })).body).toMatchObject({ code: 'MODEL_NOT_FOUND', field: 'model' });
  });
});

describe('browsers', () => {
  it('CORS answers only the configured origins', async () => {
    const allowed = await stack.app.inject({ method: 'OPTIONS', url: '/api/v1/datasets', headers: { origin: 'http://viewer.example', 'access-control-request-method': 'GET' } });
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('http://viewer.example');
    const elsewhere = await stack.app.inject({ method: 'GET', url: '/api/v1/datasets', headers: { origin: 'http://elsewhere.example', authorization: `Bearer ${other.key}` } });
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('403 HOST_NOT_ALLOWED for a Host other than localhost, 127.0.0.1 or [::1] on a loopback binding (DNS rebinding)', async () => {
    const rebound = await stack.app.inject({ method: 'GET', url: '/health', headers: { host: 'attacker.example:8080' } });
    expect(rebound.statusCode).toBe(403);
    expect(rebound.json()).toMatchObject({ code: 'HOST_NOT_ALLOWED', field: 'host' });
    for (const host of ['localhost:8080', '127.0.0.1', '[::1]:8080']) {
      expect((await stack.app.inject({ method: 'GET', url: '/health', headers: { host } })).statusCode).toBe(200);
    }
  });

  it('403 CROSS_SITE_POST for a form post from another site; same-origin forms and clients without Origin pass', async () => {
    const form = { 'content-type': 'multipart/form-data; boundary=x', authorization: `Bearer ${other.key}`, host: 'localhost:8080' };
    const payload = '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nd\r\n--x--\r\n';
    const crossOrigin = await stack.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: { ...form, origin: 'http://attacker.example' }, payload });
    expect(crossOrigin.json()).toMatchObject({ statusCode: 403, code: 'CROSS_SITE_POST' });
    const fetchSite = await stack.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: { ...form, 'sec-fetch-site': 'cross-site' }, payload });
    expect(fetchSite.json()).toMatchObject({ code: 'CROSS_SITE_POST' });
    // These reach the route, which finds no file (400).
    const sameOrigin = await stack.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: { ...form, origin: 'http://localhost:8080' }, payload });
    expect(sameOrigin.statusCode).toBe(400);
    expect((await stack.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: form, payload })).statusCode).toBe(400);
  });
});
