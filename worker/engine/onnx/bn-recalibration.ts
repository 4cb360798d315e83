import type { LossName, ParameterInfo } from '../../../contract/index.ts';
import { createGradientEngine, type GradientEngine } from '../../autodiff/index.ts';
import type { EvalData, ModelArtifact } from '../evaluator.ts';

export interface BnRecalibrationOptions {
  loss: LossName;
  /** Rows per training-mode forward pass: each BN normalizes a pass with that pass's statistics. */
  batchSize: number;
  threads: number;
}

/**
 * BN running statistics recomputed at a point θ, as dnn-mode-connectivity's update_bn does: the
 * network runs in training mode (every BN normalizes with its batch's mean and variance, so a
 * later layer sees the earlier layers' batch-normalized activations) over the calibration samples
 * in batches b_k, and each running statistic becomes the sample-weighted mean of the batch
 * statistics, Σ_k (|b_k| / N)·s_k (update_bn's cumulative momentum |b_k| / (seen + |b_k|)).
 * Variances are the batches' biased variances. The forward pass is the autodiff module's
 * batch-statistics graph on onnxruntime (its gradients are computed and not used).
 */
export class BnRecalibrator {
  private readonly statistics: ParameterInfo[];
  private rows: number[] = [];

  private constructor(
    private readonly engine: GradientEngine,
    parameters: ParameterInfo[],
    private readonly batchSize: number,
  ) {
    this.statistics = parameters.filter((p) => p.role === 'bn_moving_mean' || p.role === 'bn_moving_variance');
  }

  static async create(artifact: ModelArtifact, options: BnRecalibrationOptions): Promise<BnRecalibrator> {
    const engine = await createGradientEngine(artifact, { parameters: 'weights', batchNorm: 'batch', loss: options.loss, batchSize: options.batchSize, threads: options.threads });
    return new BnRecalibrator(engine, artifact.parameters, options.batchSize);
  }

  /** The calibration samples (the seeded train samples of the request). */
  async setData(data: EvalData): Promise<void> {
    await this.engine.setData(data);
    this.rows = [];
    for (let start = 0; start < data.n; start += this.batchSize) this.rows.push(Math.min(this.batchSize, data.n - start));
  }

  /** Writes the statistics recomputed at θ into θ's BN moving mean/variance entries (in place). */
  async recalibrate(theta: Float32Array): Promise<void> {
    const { batchStatistics } = await this.engine.lossAndGradient(theta);
    if (!batchStatistics || batchStatistics.length !== this.rows.length) {
      throw new Error(`expected the statistics of ${this.rows.length} batches, got ${batchStatistics?.length ?? 0}`);
    }
    const total = this.rows.reduce((n, r) => n + r, 0);
    for (const p of this.statistics) {
      for (let i = p.offset; i < p.offset + p.size; i++) {
        let sum = 0;
        batchStatistics.forEach((batch, k) => (sum += (this.rows[k]! / total) * batch[i]!));
        theta[i] = sum;
      }
    }
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}
