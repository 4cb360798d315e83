import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startStack, type Stack } from '../test/helpers/stack.ts';

/**
 * Direction-ensemble overhead on the real service (API in this process, Redis, worker processes):
 * the wall time from POST /api/v1/surfaces to completion of one 21×21 demo-CNN surface (mnist
 * test, 1,000 samples), against an ensemble of k over the same grid, measured in alternating
 * rounds with fresh seeds (no stored directions reused). The ideal is k×: every member is a whole
 * surface; the target of issue 14 is within 5.5× for k = 5. One untimed plain surface first
 * warms the workers' model and dataset caches. Beside the wall clock, the CPU seconds of the API
 * (this process) and of every worker process (each worker's process group: its sandboxes too):
 * on a shared machine they move less with the load than the wall time.
 */

export interface EnsembleBenchRow {
  k: number;
  side: number;
  workers: number;
  round: number;
  plainSeconds: number;
  ensembleSeconds: number;
  ratio: number;
  plainCpuSeconds: number;
  ensembleCpuSeconds: number;
  cpuRatio: number;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}

const request = (side: number, directions: Record<string, number>) => ({
  model: 'demo-cnn-skip',
  dataset: { id: 'mnist', split: 'test', samples: 1000 },
  grid: { x: { min: -1, max: 1, num: side }, y: { min: -1, max: 1, num: side } },
  directions,
});

/** CPU seconds (user + system) of this process and of the processes in each worker's process group (Linux /proc). */
function cpuSeconds(stack: Stack): number {
  const groups = new Set(stack.workers.map((w) => w.pid));
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // Fields after the parenthesised command: state ppid pgrp … utime (14th field) stime (15th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (groups.has(Number(fields[2]))) ticks += Number(fields[11]) + Number(fields[12]);
  }
  const own = process.cpuUsage();
  return ticks / 100 + (own.user + own.system) / 1e6;
}

/** Wall and CPU seconds from submission until the surface (or every member of the ensemble) is final; fails unless completed. */
async function timed(stack: Stack, body: unknown): Promise<{ seconds: number; cpuSeconds: number }> {
  const { surfaces, ensembles } = stack.app.services;
  const cpuBefore = cpuSeconds(stack);
  const started = performance.now();
  const { status, body: accepted } = await stack.api<{ id: string; kind?: string }>('/api/v1/surfaces', { method: 'POST', json: body });
  if (status !== 202) throw new Error(`POST /api/v1/surfaces answered ${status}: ${JSON.stringify(accepted)}`);
  const final = accepted.kind === 'ensemble' ? await ensembles.whenFinal(accepted.id) : await surfaces.whenFinal(accepted.id);
  const seconds = (performance.now() - started) / 1000;
  if (final.status !== 'completed') throw new Error(`${accepted.id} ended ${final.status}`);
  return { seconds, cpuSeconds: cpuSeconds(stack) - cpuBefore };
}

export async function benchEnsemble(k: number, side: number, rounds: number, workers: number): Promise<EnsembleBenchRow[]> {
  const stack = await startStack({ workers });
  const rows: EnsembleBenchRow[] = [];
  try {
    await timed(stack, request(side, { seed: 1_000 }));
    for (let round = 0; round < rounds; round++) {
      const loadAverageBefore = loadavg();
      const plain = await timed(stack, request(side, { seed: 2_000 + round }));
      const ensemble = await timed(stack, request(side, { seed: 3_000 + round, ensemble: k }));
      const row: EnsembleBenchRow = {
        k, side, workers, round,
        plainSeconds: plain.seconds, ensembleSeconds: ensemble.seconds, ratio: ensemble.seconds / plain.seconds,
        plainCpuSeconds: plain.cpuSeconds, ensembleCpuSeconds: ensemble.cpuSeconds, cpuRatio: ensemble.cpuSeconds / plain.cpuSeconds,
        loadAverageBefore, loadAverageAfter: loadavg(),
      };
      rows.push(row);
      console.log(
        `Ensemble k = ${k}, ${side}×${side} demo-cnn-skip, ${workers} workers, round ${round + 1}: plain ${plain.seconds.toFixed(1)} s, ensemble ${ensemble.seconds.toFixed(1)} s, ` +
          `${row.ratio.toFixed(2)}×; CPU ${plain.cpuSeconds.toFixed(1)} s vs ${ensemble.cpuSeconds.toFixed(1)} s, ${row.cpuRatio.toFixed(2)}× ` +
          `(load ${loadAverageBefore.map((l) => l.toFixed(2)).join(' ')} → ${row.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')})`,
      );
    }
  } finally {
    await stack.stop();
  }
  return rows;
}
