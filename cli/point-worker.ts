import { ContractError, type Engine, type LossName } from '../contract/index.ts';
import type { EvalData, Evaluator, ModelArtifact } from '../worker/engine/evaluator.ts';
import { createEvaluator } from '../worker/engine/registry.ts';
import { perturb } from '../worker/numeric/vector.ts';

/**
 * One evaluation process of `loss-atlas surface` (forked by local-surface.ts, one per core): the
 * same engine registry, samples and perturbation as a worker's chunk job
 * (worker/jobs/chunk.ts), so each point has the value the service gives it.
 */
export interface WorkMessage {
  model: ModelArtifact;
  /** The evaluation samples, selected by the parent with evaluationData (worker/datasets/select.ts). */
  data: EvalData;
  engine: Engine;
  fallback: Engine | null;
  loss: LossName;
  batchSize: number;
  theta: Float32Array;
  x: Float32Array;
  y: Float32Array | null;
  /** Grid points to evaluate: [k, alpha, beta]. */
  points: [number, number, number][];
}

export type ReplyMessage =
  | { type: 'point'; k: number; loss: number; lossStdError: number | null; accuracy: number | null }
  | { type: 'done'; engine: Evaluator['info'] }
  | { type: 'error'; message: string; contract: boolean };

async function loadedEvaluator(work: WorkMessage): Promise<Evaluator> {
  try {
    const evaluator = await createEvaluator(work.engine);
    await evaluator.load(work.model);
    return evaluator;
  } catch (err) {
    if (!(err instanceof ContractError) || !work.fallback) throw err;
    const evaluator = await createEvaluator(work.fallback);
    await evaluator.load(work.model);
    return evaluator;
  }
}

async function run(work: WorkMessage): Promise<void> {
  const evaluator = await loadedEvaluator(work);
  await evaluator.setData(work.data);
  const point = new Float32Array(work.theta.length);
  for (const [k, alpha, beta] of work.points) {
    perturb(work.theta, work.x, alpha, work.y, beta, point);
    await evaluator.setParameters(point);
    const result = await evaluator.evaluate({ loss: work.loss, batchSize: work.batchSize });
    process.send!({ type: 'point', k, loss: result.loss, lossStdError: result.lossStdError, accuracy: result.accuracy } satisfies ReplyMessage);
  }
  process.send!({ type: 'done', engine: evaluator.info } satisfies ReplyMessage);
  evaluator.dispose();
}

process.once('message', (work: WorkMessage) => {
  run(work).then(
    () => process.disconnect(),
    (err: Error) => {
      process.send!({ type: 'error', message: err.message, contract: err instanceof ContractError } satisfies ReplyMessage);
      process.disconnect();
    },
  );
});
