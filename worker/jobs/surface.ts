import { createHash } from 'node:crypto';
import { Queue, WaitingChildrenError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { evaluationRows, gridLevels, JOB_OPTIONS, jobIds, linspace, storedValues, type ChunkJobData, type RedisKeys, type SurfaceJobData, type SurfaceResult } from '../../contract/index.ts';
import { Artifacts, storedParameters } from '../artifacts.ts';
import { generateDirections } from '../directions/kinds.ts';
import { planChunks, planRefinement } from '../numeric/chunks.ts';
import { cosine } from '../numeric/vector.ts';
import { SurfaceStateStore } from '../surface-state.ts';

type Step = 'plan' | 'assemble';
type SurfaceJob = Job<SurfaceJobData & { step?: Step }>;

export interface SurfaceProcessorContext {
  redis: Redis;
  keys: RedisKeys;
  chunkQueue: Queue<ChunkJobData>;
}

/**
 * The parent job of a surface, in two steps (BullMQ's step-job pattern): plan — generate and
 * store the directions once, queue one child job per chunk with deterministic ids (row by row, or
 * coarse to fine: worker/numeric/chunks.ts), wait for the children — then assemble the stored chunk
 * values into the result (a preview pass stores none).
 */
export function surfaceProcessor(ctx: SurfaceProcessorContext) {
  const state = new SurfaceStateStore(ctx.redis, ctx.keys);
  const artifacts = new Artifacts(ctx.redis, ctx.keys);

  /** Directions and chunks; false when the surface was cancelled meanwhile (nothing is queued then). */
  async function plan(job: SurfaceJob, token: string): Promise<boolean> {
    const id = job.data.surfaceId;
    const surfacePlan = state.plan(await state.read(id));
    const model = await artifacts.model(surfacePlan.model);
    const theta = storedParameters(model);
    const dimensions = surfacePlan.grid.y ? 2 : 1;
    const directions = await generateDirections({ plan: surfacePlan, model, theta, dimensions, artifacts });
    const bytes = concatFloat32(directions.x, directions.y);
    const hash = createHash('sha256').update(bytes).digest('hex');
    await ctx.redis.set(ctx.keys.blob(hash), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const rows = evaluationRows(surfacePlan);
    const chunks = surfacePlan.progressive
      ? planRefinement(gridLevels(surfacePlan.grid.x.num, rows, surfacePlan.grid.y !== null), surfacePlan.progressive.previewSamples)
      : planChunks(surfacePlan.grid.x.num, rows);
    // 'running' too: a retried plan step (its worker died after this point) starts the same way.
    const started = await state.transition(id, ['queued', 'running'], 'running', {
      directions: { hash, cosine: directions.y ? cosine(directions.x, directions.y) : null, rng: directions.rng, ...(directions.pca ? { pca: directions.pca } : {}) },
      chunks: chunks.length,
      startedAt: new Date().toISOString(),
    });
    if (!started) return false;
    // Queued in plan order, which workers keep (first in, first out): coarse levels first when refining progressively.
    await ctx.chunkQueue.addBulk(
      chunks.map((chunk) => ({
        name: 'chunk',
        data: { surfaceId: id, ...chunk },
        opts: {
          jobId: jobIds.chunk(id, chunk.index),
          parent: { id: job.id!, queue: job.queueQualifiedName },
          ...JOB_OPTIONS.chunk,
        },
      })),
    );
    await job.updateData({ ...job.data, step: 'assemble' });
    if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();
    return true;
  }

  async function assemble(job: SurfaceJob): Promise<{ points: number }> {
    const id = job.data.surfaceId;
    const current = await state.read(id);
    const surfacePlan = state.plan(current);
    const x = linspace(surfacePlan.grid.x);
    const y = surfacePlan.grid.y ? linspace(surfacePlan.grid.y) : null;
    const nx = x.length;
    const ny = evaluationRows(surfacePlan);
    const loss: (number | null)[][] = Array.from({ length: ny }, () => new Array<number | null>(nx).fill(null));
    const filled: boolean[][] = Array.from({ length: ny }, () => new Array<boolean>(nx).fill(false));
    const chunks = await state.chunkValues(id);
    const withAccuracy = chunks.some((c) => c.accuracy !== null);
    const accuracy = withAccuracy ? Array.from({ length: ny }, () => new Array<number | null>(nx).fill(null)) : null;
    const emptyGrid = () => Array.from({ length: ny }, () => new Array<number | null>(nx).fill(null));
    // Chunks recorded before standard errors were kept (a surface resumed across an upgrade) have none: then the surface has none.
    const withStdError = chunks.every((c) => c.lossStdError !== undefined);
    const lossStdError = withStdError ? emptyGrid() : undefined;
    const lossBootstrap = surfacePlan.bootstrap ? { ...surfacePlan.bootstrap, low: emptyGrid(), high: emptyGrid(), stdError: emptyGrid() } : undefined;
    const nonFinite: SurfaceResult['nonFinite'] = [];
    for (const chunk of chunks) {
      chunk.loss.forEach((value, k) => {
        const ix = chunk.ix[k]!;
        loss[chunk.iy]![ix] = value;
        filled[chunk.iy]![ix] = true;
        if (accuracy && chunk.accuracy) accuracy[chunk.iy]![ix] = chunk.accuracy[k]!;
        if (lossStdError) lossStdError[chunk.iy]![ix] = chunk.lossStdError![k]!;
        if (lossBootstrap && chunk.lossBootstrap) {
          lossBootstrap.low[chunk.iy]![ix] = chunk.lossBootstrap.low[k]!;
          lossBootstrap.high[chunk.iy]![ix] = chunk.lossBootstrap.high[k]!;
          lossBootstrap.stdError[chunk.iy]![ix] = chunk.lossBootstrap.stdError[k]!;
        }
      });
      for (const point of chunk.nonFinite) nonFinite.push({ ix: point.ix, iy: chunk.iy, value: point.value as 'NaN' | 'Infinity' | '-Infinity' });
    }
    const missing = filled.flat().filter((f) => !f).length;
    if (missing > 0) throw new Error(`${missing} grid points have no value after every chunk finished`);
    const { pca, ...directions } = current.directions!;
    const splits = surfacePlan.splits;
    const result: SurfaceResult = {
      id,
      kind: y ? '2d' : '1d',
      axes: { x, y },
      shape: [y?.length ?? 1, nx],
      // Side-by-side splits: row k is split k; the surface's own values (and their errors) are the first split's.
      loss: splits ? loss.slice(0, 1) : loss,
      accuracy: splits ? (accuracy?.slice(0, 1) ?? null) : accuracy,
      ...(lossStdError && { lossStdError: splits ? lossStdError.slice(0, 1) : lossStdError }),
      ...(lossBootstrap && {
        lossBootstrap: splits
          ? { ...lossBootstrap, low: lossBootstrap.low.slice(0, 1), high: lossBootstrap.high.slice(0, 1), stdError: lossBootstrap.stdError.slice(0, 1) }
          : lossBootstrap,
      }),
      nonFinite: nonFinite.filter((p) => !splits || p.iy === 0).sort((a, b) => a.iy - b.iy || a.ix - b.ix),
      ...(splits ? { splits: splits.map(({ split }, k) => ({ split, loss: loss[k]!, accuracy: accuracy?.[k] ?? null, ...(lossStdError && { lossStdError: lossStdError[k]! }) })) } : {}),
      ...(pca ? { trajectory: pca.trajectory } : {}),
      provenance: {
        ...surfacePlan.provenance,
        engine: chunks[0]?.engine ?? null,
        dataset: { ...surfacePlan.provenance.dataset, indicesHash: current.indicesHash },
        directions: {
          ...surfacePlan.provenance.directions,
          ...directions,
          ...(pca ? { pca: { ...surfacePlan.provenance.directions.pca!, explainedVariance: pca.explainedVariance, explainedVarianceRatio: pca.explainedVarianceRatio } } : {}),
        },
      },
    };
    await ctx.redis.set(ctx.keys.surfaceResult(id), storedValues.surfaceResult.write(result));
    if (await state.transition(id, ['running'], 'completed', { finishedAt: new Date().toISOString() })) await state.event(id, { event: 'done', data: { status: 'completed' } });
    return { points: nx * ny };
  }

  return async function processSurface(job: SurfaceJob, token?: string): Promise<unknown> {
    if (await state.isCancelled(job.data.surfaceId)) return { cancelled: true };
    if (job.data.step !== 'assemble' && !(await plan(job, token!))) return { cancelled: true };
    return assemble(job);
  };
}

function concatFloat32(a: Float32Array, b: Float32Array | null): Float32Array {
  if (!b) return a;
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
