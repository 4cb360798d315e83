import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../contract/index.ts';
import type { AppConfig } from '../config.ts';
import type { BlobStore } from '../stores/blobs.ts';
import type { DatasetStore } from '../stores/datasets.ts';
import type { ModelStore } from '../stores/models.ts';
import type { ComparisonService } from './comparisons.ts';
import type { EnsembleService } from './ensembles.ts';
import type { HessianMapService } from './hessian-maps.ts';
import type { QuotaService } from './quotas.ts';
import type { SpectrumService } from './spectra.ts';
import type { SurfaceService } from './surfaces.ts';
import type { TrainingService } from './trainings.ts';

/** The app tier, built once in app.ts: what route plugins get (as app.services). */
export interface AppServices {
  config: AppConfig;
  redis: Redis;
  keys: RedisKeys;
  blobs: BlobStore;
  models: ModelStore;
  datasets: DatasetStore;
  surfaces: SurfaceService;
  ensembles: EnsembleService;
  hessians: HessianMapService;
  spectra: SpectrumService;
  trainings: TrainingService;
  comparisons: ComparisonService;
  quotas: QuotaService;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: AppServices;
  }
}

export { ComparisonService } from './comparisons.ts';
export { EnsembleService } from './ensembles.ts';
export { HessianMapService } from './hessian-maps.ts';
export { QuotaService } from './quotas.ts';
export { SpectrumService } from './spectra.ts';
export { SurfaceService } from './surfaces.ts';
export { TrainingService } from './trainings.ts';
