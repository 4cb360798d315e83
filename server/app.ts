import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import { ContractError, redisKeys } from '../contract/index.ts';
import type { AppConfig } from './config.ts';
import { HttpError } from './errors.ts';
import { connectProducer, isRedisUnavailable } from './plugins/redis.ts';
import auth, { assertSafeBinding, loadApiKeys, routesAccess } from './plugins/auth.ts';
import httpGuards from './plugins/http-guards.ts';
import metrics from './plugins/metrics.ts';
import queueDashboard from './plugins/queue-dashboard.ts';
import rateLimits from './plugins/rate-limits.ts';
import { BlobStore } from './stores/blobs.ts';
import { DatasetStore } from './stores/datasets.ts';
import { ModelStore } from './stores/models.ts';
import { ComparisonService, EnsembleService, HessianMapService, QuotaService, SpectrumService, SurfaceService, TrainingService, type AppServices } from './services/index.ts';
import { SYSTEM_PRINCIPAL } from './tenancy.ts';
import { VERSION } from './version.ts';
import { FIELD_MAX_BYTES } from './routes/multipart.ts';
import healthRoutes from './routes/health.ts';
import modelRoutes from './routes/models.ts';
import datasetRoutes from './routes/datasets.ts';
import surfaceRoutes from './routes/surfaces.ts';
import ensembleRoutes from './routes/ensembles.ts';
import analysisRoutes from './routes/analysis.ts';
import spectrumRoutes from './routes/spectra.ts';
import trainingRoutes from './routes/trainings.ts';
import comparisonRoutes from './routes/comparisons.ts';
import exportRoutes from './routes/exports.ts';
import importRoutes from './routes/imports.ts';
import sessionRoutes from './routes/session.ts';

/** LA_TRUST_PROXY as Fastify's trustProxy: none, any ("true"), or comma-separated addresses/CIDRs. */
function trustedProxies(setting: string): boolean | string {
  const value = setting.trim();
  if (value === '' || value === 'false') return false;
  return value === 'true' ? true : value;
}

/** Builds the API: external plugins → app services → routes. Call app.close() to stop. */
export async function buildApp(config: AppConfig): Promise<FastifyInstance> {
  const apiKeys = loadApiKeys(config);
  assertSafeBinding(config.HOST, apiKeys);
  const app = Fastify({
    logger: config.LOG_LEVEL === 'silent' ? false : { level: config.LOG_LEVEL },
    bodyLimit: 8 * 1024 * 1024,
    // A socket that never finishes its body is closed (408) instead of held open forever. Node
    // reads the timeouts when it creates the server (a request timeout set afterwards, as Fastify
    // does, leaves the 60 s headers timeout longer, and Node then enforces the longer one) and
    // enforces them when it sweeps its connections (every 30 s by default): so both go to
    // createServer, and the sweep is at least as frequent as the timeout. Fastify's own setting
    // must match, as it overwrites the server's. No idle (connection) timeout: a request may wait
    // minutes on its answer (an upload's decoding) with its socket silent.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: { requestTimeout: config.REQUEST_TIMEOUT_MS, connectionsCheckingInterval: Math.min(30_000, config.REQUEST_TIMEOUT_MS) },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, strict: false } },
    trustProxy: trustedProxies(config.LA_TRUST_PROXY),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // External tier.
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Loss Atlas API',
        version: VERSION,
        description:
          'Loss landscapes of trained networks by the method of Li et al. 2018 (filter-normalized random directions). ' +
          'Surfaces are computed by workers in chunks and stream back over server-sent events.',
      },
      tags: [{ name: 'surfaces' }, { name: 'comparisons' }, { name: 'trainings' }, { name: 'models' }, { name: 'datasets' }, { name: 'system' }, { name: 'session' }],
    },
  });
  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: config.MAX_UPLOAD_BYTES, files: 64, fields: 32, fieldSize: FIELD_MAX_BYTES } });
  // The viewer's files and the API docs hold no tenant's data: served without a key.
  await app.register(async (publicScope) => {
    routesAccess(publicScope, 'public');
    await publicScope.register(swaggerUi, { routePrefix: '/docs' });
    const webDist = resolve(config.WEB_DIST);
    if (existsSync(join(webDist, 'index.html'))) await publicScope.register(fastifyStatic, { root: webDist, prefix: '/' });
    else publicScope.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/plain').send('Loss Atlas API. The viewer is not built: run npm run build:web. API docs: /docs'));
  });

  // App tier. Request hooks run in this order: Host and cross-site checks, then the key.
  await app.register(httpGuards, { config });
  await app.register(auth, { keys: apiKeys });
  const redis = connectProducer(config.REDIS_URL);
  await redis.connect();
  const keys = redisKeys(config.LA_NAMESPACE);
  const dataDir = resolve(config.DATA_DIR);
  const blobs = new BlobStore(join(dataDir, 'blobs'), redis, keys);
  const models = new ModelStore(join(dataDir, 'models'), blobs);
  const datasets = new DatasetStore(join(dataDir, 'datasets'), blobs);
  await Promise.all([models.load(), datasets.load()]);
  await models.registerFixtures(resolve(config.FIXTURES_DIR));
  const trainings = new TrainingService({ dataDir: join(dataDir, 'trainings'), redis, keys, blobs, models, datasets });
  const surfaces = new SurfaceService({
    dataDir: join(dataDir, 'surfaces'), redis, keys, blobs, models, datasets, defaultEngine: config.LA_ENGINE, training: (id, viewer) => trainings.get(id, viewer),
  });
  const ensembles = new EnsembleService({ dataDir: join(dataDir, 'ensembles'), surfaces });
  const hessians = new HessianMapService({ dataDir: join(dataDir, 'hessian'), redis, keys, namespace: config.LA_NAMESPACE, surfaces });
  const spectra = new SpectrumService({ dataDir: join(dataDir, 'spectra'), redis, keys, namespace: config.LA_NAMESPACE, surfaces });
  const comparisons = new ComparisonService({
    dataDir: join(dataDir, 'comparisons'), fixturesDir: resolve(config.COMPARISON_FIXTURES_DIR), redis, keys, blobs, models, datasets, surfaces, ensembles, hessians, spectra, trainings,
    gradientFlowTimeoutMs: config.LA_GRADIENT_FLOW_TIMEOUT_MS,
  });
  const quotas = new QuotaService({ surfaces, trainings, comparisons, limits: { jobs: config.LA_QUOTA_JOBS, points: config.LA_QUOTA_POINTS }, enabled: apiKeys.length > 0 });
  const services: AppServices = { config, redis, keys, blobs, models, datasets, surfaces, ensembles, hessians, spectra, trainings, comparisons, quotas };
  await app.register(rateLimits, { config, redis, keyed: apiKeys.length > 0 });
  app.decorate('services', services);
  await app.register(metrics);
  app.addHook('onClose', async () => {
    await comparisons.close();
    await trainings.close();
    await spectra.close();
    await hessians.close();
    await surfaces.close();
    await redis.quit().catch(() => undefined);
  });
  // Each reconciles what finished or was lost while the API was down (comparisons last: they use the others).
  await surfaces.start();
  await ensembles.start();
  await hessians.start(surfaces.list(SYSTEM_PRINCIPAL).filter((s) => s.status === 'completed').map((s) => s.id));
  await spectra.start();
  await trainings.start();
  await comparisons.start();

  app.setErrorHandler((err: FastifyError | HttpError | ContractError, request, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.statusCode).send({ statusCode: err.statusCode, code: err.code, error: statusText(err.statusCode), message: err.message, field: err.field });
    }
    if (err instanceof ContractError) {
      return reply.status(400).send({ statusCode: 400, code: 'INVALID_INPUT', error: 'Bad Request', message: err.message, field: err.field });
    }
    const fastifyError = err as FastifyError;
    if (fastifyError.validation) {
      const first = fastifyError.validation[0];
      const path = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
      const missing = (first?.params as { missingProperty?: string; additionalProperty?: string } | undefined) ?? {};
      const field = [path, missing.missingProperty ?? missing.additionalProperty].filter(Boolean).join('.') || fastifyError.validationContext || 'body';
      return reply.status(400).send({ statusCode: 400, code: 'VALIDATION_FAILED', error: 'Bad Request', message: `${fastifyError.validationContext ?? 'body'}${path ? '.' + path : ''} ${first?.message ?? 'is invalid'}`, field });
    }
    // A client that hung up mid-request is not the server's error, and there is no one to answer.
    if (request.raw.socket?.destroyed) {
      request.log.info({ err: err.message }, 'client aborted the request');
      return reply.hijack();
    }
    const status = fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500 ? fastifyError.statusCode : 500;
    if (status === 500 && isRedisUnavailable(err, redis)) {
      request.log.warn({ err: err.message }, 'Redis is unreachable');
      return reply
        .status(503)
        .header('retry-after', '5')
        .send({ statusCode: 503, code: 'REDIS_UNAVAILABLE', error: statusText(503), message: 'the job store (Redis) cannot be reached; retry shortly' });
    }
    if (status === 500) request.log.error({ err }, 'unhandled error');
    else if (fastifyError.code === 'FST_REQ_FILE_TOO_LARGE') {
      return reply.status(413).send({ statusCode: 413, code: 'UPLOAD_TOO_LARGE', error: statusText(413), message: `a file exceeds the upload limit of ${config.MAX_UPLOAD_BYTES} bytes`, field: 'file' });
    }
    return reply.status(status).send({
      statusCode: status,
      code: fastifyError.code ?? 'INTERNAL',
      error: statusText(status),
      message: status === 500 ? 'internal error' : fastifyError.message,
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ statusCode: 404, code: 'ROUTE_NOT_FOUND', error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  // Routes tier.
  await app.register(healthRoutes);
  await app.register(sessionRoutes, { prefix: '/api/v1' });
  await app.register(modelRoutes, { prefix: '/api/v1' });
  await app.register(datasetRoutes, { prefix: '/api/v1' });
  await app.register(surfaceRoutes, { prefix: '/api/v1' });
  await app.register(ensembleRoutes, { prefix: '/api/v1' });
  await app.register(analysisRoutes, { prefix: '/api/v1' });
  await app.register(spectrumRoutes, { prefix: '/api/v1' });
  await app.register(trainingRoutes, { prefix: '/api/v1' });
  await app.register(comparisonRoutes, { prefix: '/api/v1' });
  await app.register(exportRoutes, { prefix: '/api/v1' });
  await app.register(importRoutes, { prefix: '/api/v1' });
  await app.register(queueDashboard);
  return app;
}

function statusText(status: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 429: 'Too Many Requests', 503: 'Service Unavailable' } as Record<number, string>)[status] ?? 'Error';
}
