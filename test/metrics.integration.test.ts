import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/** /metrics on the real stack (open: no keys), after a real worker computed a 3×3 surface. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
}, 150_000);
afterAll(async () => {
  await stack?.stop();
});

async function scrape(): Promise<string> {
  const response = await fetch(`${stack.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('Prometheus metrics', () => {
  it('counts HTTP latency, jobs per queue and state, job durations, evaluated points, live workers and event-loop lag', async () => {
    const submitted = await stack.api<{ id: string }>('/api/v1/surfaces', {
      method: 'POST',
      // Row by row: one chunk per row, so 3 chunk jobs (coarse-to-fine refinement would cut these 9 points into 9 chunks).
      json: { model: 'demo-cnn-skip', dataset: { id: 'mnist', samples: 64 }, grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } }, progressive: { enabled: false } },
    });
    expect(submitted.status).toBe(202);
    expect((await stack.app.services.surfaces.whenFinal(submitted.body.id)).status).toBe('completed');

    // The counters follow the queue events the API receives just after the jobs end.
    const text = await until('9 evaluated points in the metrics', async () => {
      const scraped = await scrape();
      return value(scraped, 'la_points_evaluated_total') === 9 && scraped;
    }, { timeoutMs: 20_000 });
    expect(value(text, 'la_points_evaluated_total')).toBe(9);
    expect(value(text, 'la_job_duration_seconds_count{queue="la-chunks",outcome="completed"}')).toBe(3);
    expect(value(text, 'la_queue_jobs{queue="la-chunks",state="completed"}')).toBe(3);
    expect(value(text, 'la_queue_jobs{queue="la-surfaces",state="active"}')).toBe(0);
    expect(value(text, 'la_workers_live')).toBe(1);
    expect(text).toMatch(/^la_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/surfaces",status="202"\} 1$/m);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  }, 180_000);
});

describe('worker liveness (the compose healthcheck)', () => {
  const alive = (namespace: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'worker/alive.ts'], { cwd: resolve(import.meta.dirname, '..'), env: { ...process.env, LA_NAMESPACE: namespace }, encoding: 'utf8' });

  it('worker/alive.ts exits 0 while a worker on this host beats, 1 where none does', () => {
    const live = alive(stack.namespace);
    expect(live.stdout).toContain('alive:');
    expect(live.status).toBe(0);
    const none = alive(`${stack.namespace}-none`);
    expect(none.stdout).toContain('no live worker');
    expect(none.status).toBe(1);
  });
});
