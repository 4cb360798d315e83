import envSchema from 'env-schema';
import { Type, type Static } from 'typebox';

/** Environment of the API, validated at boot (a bad value stops start-up with a message naming it). */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  HOST: Type.String({ default: '127.0.0.1' }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  LA_NAMESPACE: Type.String({ default: 'la', pattern: '^[A-Za-z0-9_-]+$', description: 'Prefix of every Redis key and queue' }),
  DATA_DIR: Type.String({ default: './data', description: 'Where models, datasets, directions and surfaces are stored' }),
  LOG_LEVEL: Type.String({ default: 'info' }),
  LA_ENGINE: Type.Union([Type.Literal('tfjs'), Type.Literal('onnx')], { default: 'onnx', description: 'Engine of jobs that name none (tfjs is the fallback when onnx cannot load a model)' }),
  REQUEST_TIMEOUT_MS: Type.Integer({
    default: 300_000,
    minimum: 1,
    description: 'Time a client has to send a whole request (headers and body) before it gets 408 and its socket is closed',
  }),
  MAX_UPLOAD_BYTES: Type.Integer({ default: 256 * 1024 * 1024, minimum: 1024 }),
  UPLOAD_DECODE_MEMORY_MB: Type.Integer({
    default: 1024,
    minimum: 64,
    description: 'Heap of the child process that decodes one upload (dataset arrays, model files, the ONNX session check); past it the upload gets a 400',
  }),
  UPLOAD_DECODE_TIMEOUT_MS: Type.Integer({ default: 120_000, minimum: 1, description: 'Time one upload may take to decode before its child process is killed and the upload gets a 400' }),
  WEB_DIST: Type.String({ default: './web/dist' }),
  FIXTURES_DIR: Type.String({ default: './fixtures/models', description: 'Demo models registered at boot' }),
  COMPARISON_FIXTURES_DIR: Type.String({ default: './fixtures/comparisons', description: 'Finished demo comparisons listed at boot' }),
});
export type AppConfig = Static<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  return envSchema<AppConfig>({ schema: ConfigSchema as object, data: env, dotenv: false });
}
