import { loadavg } from 'node:os';
import type { SurfaceRequest } from '../contract/index.ts';
import type { HessianMapResult } from '../contract/metrics/hessian.ts';
import { readEvents } from '../test/helpers/sse.ts';
import { groupCpuSeconds, startW1Stack } from './progressive.ts';

export interface HessianMapStackRow {
  points: number;
  samples: number;
  workers: number;
  /** Worker processes that computed the map's points (its settings.workers). */
  computedBy: number | null;
  /** Seconds from the POST to the finished map (what a client waits). */
  seconds: number;
  /** The map job's own seconds (HessianMapResult.seconds). */
  jobSeconds: number;
  products: number;
  converged: number;
  workerCpuSeconds: number;
  loadBefore: number[];
  loadAfter: number[];
}

/**
 * A points × points Hessian map of W1 on 64 samples through the real stack (`npm run bench --
 * --hessian-map-stack 5`): API, Redis and `workers` worker processes (the map's job and its
 * LA_HESSIAN_HELPERS helpers, default one per other worker), on a fresh stack whose W1 surface of
 * the same side is computed first. Timed from the POST to the finished map, so the workers' first
 * analysis sandbox start counts, as for a first request.
 */
export async function benchHessianMapStack(points: number, workers: number, dir: string): Promise<HessianMapStackRow> {
  const samples = 64;
  const { stack, model, dataset } = await startW1Stack(workers, dir);
  try {
    const axis = { min: -1, max: 1, num: points };
    const request: SurfaceRequest = { model, dataset: { id: dataset, split: 'test', samples }, grid: { x: axis, y: axis } };
    const surface = await stack.api<{ id: string; links: { events: string } }>('/api/v1/surfaces', { method: 'POST', json: request });
    if (surface.status !== 202) throw new Error(`surface: ${JSON.stringify(surface.body)}`);
    const events = await readEvents(`${stack.baseUrl}${surface.body.links.events}`, { timeoutMs: 3600_000 });
    if (events.at(-1)?.event !== 'done') throw new Error(`surface ended with ${events.at(-1)?.event}: ${events.at(-1)?.data}`);

    const path = `/api/v1/surfaces/${surface.body.id}/hessian`;
    const cpuBefore = groupCpuSeconds(stack.workers.map((w) => w.pid!));
    const loadBefore = loadavg();
    const started = performance.now();
    const accepted = await stack.api(path, { method: 'POST', json: { points, samples } });
    if (accepted.status !== 202) throw new Error(`Hessian map: ${JSON.stringify(accepted.body)}`);
    let map: HessianMapResult;
    for (;;) {
      const { status, body } = await stack.api<HessianMapResult | { status: string; error: string | null }>(path);
      if (status === 200) {
        map = body as HessianMapResult;
        break;
      }
      if ((body as { status: string }).status === 'failed') throw new Error(`Hessian map failed: ${(body as { error: string | null }).error}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      points,
      samples,
      workers,
      computedBy: 'workers' in map.settings ? (map.settings.workers ?? null) : null,
      seconds,
      jobSeconds: map.seconds,
      products: map.points.reduce((s, p) => s + p.products, 0),
      converged: map.points.filter((p) => p.converged).length,
      workerCpuSeconds: groupCpuSeconds(stack.workers.map((w) => w.pid!)) - cpuBefore,
      loadBefore,
      loadAfter: loadavg(),
    };
  } finally {
    await stack.stop();
  }
}

export function printHessianMapStackRow(r: HessianMapStackRow): void {
  console.log(
    `W1 ${r.points}×${r.points} Hessian map on ${r.samples} samples, real stack with ${r.workers} workers (computed by ${r.computedBy ?? '–'}): ` +
      `${r.seconds.toFixed(1)} s from POST to map (job ${r.jobSeconds.toFixed(1)} s), ${r.products} products, ${r.converged}/${r.points * r.points} converged, ` +
      `worker CPU ${r.workerCpuSeconds.toFixed(0)} s (load ${r.loadBefore.map((l) => l.toFixed(2)).join(' ')} → ${r.loadAfter.map((l) => l.toFixed(2)).join(' ')})`,
  );
}
