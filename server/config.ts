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
  LA_API_KEYS: Type.Optional(Type.String({ description: 'API keys as JSON: [{"sha256", "tenant", "role": "user" | "admin"}] (make one with `npx loss-atlas key`); none: open, loopback only' })),
  LA_API_KEYS_FILE: Type.Optional(Type.String({ description: 'A JSON file holding the same list as LA_API_KEYS (not both)' })),
  LA_SESSION_MAX_AGE_S: Type.Integer({
    default: 12 * 3600,
    minimum: 60,
    description: 'Lifetime in seconds of the viewer\'s sign-in cookie (POST /api/v1/session), after which the browser asks for the key again',
  }),
  LA_TRUST_PROXY: Type.String({
    default: '',
    description:
      'Reverse proxies whose X-Forwarded-For/-Proto/-Host the API believes: comma-separated addresses or CIDRs, or "true" for any; ' +
      'empty: none. Behind a TLS-terminating proxy this marks the sign-in cookie Secure and rate-limits unauthenticated clients by their own address',
  }),
  LA_RATE_LIMIT_MAX: Type.Integer({ default: 1200, minimum: 1, description: 'Requests a tenant may make per LA_RATE_LIMIT_WINDOW_MS (with keys; 429 RATE_LIMITED past it)' }),
  LA_RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1000 }),
  LA_QUOTA_JOBS: Type.Integer({ default: 20, minimum: 1, description: 'Queued or running surfaces, trainings and comparisons per tenant (with keys; 429 QUOTA_EXCEEDED past it)' }),
  LA_QUOTA_POINTS: Type.Integer({ default: 1_000_000, minimum: 1, description: 'Grid points of queued or running surfaces and comparisons per tenant (with keys)' }),
  LA_GRADIENT_FLOW_TIMEOUT_MS: Type.Integer({
    default: 600_000,
    minimum: 1,
    description: 'Time a comparison waits for one gradient-flow job once a worker has taken it (its time in the queue not counted); past it the flow is left out of the member',
  }),
  LA_CORS_ORIGINS: Type.String({ default: '', description: 'Comma-separated origins allowed to call the API from a browser (CORS); empty: none' }),
  LA_ALLOWED_HOSTS: Type.String({
    default: '',
    description: 'Comma-separated Host header names accepted (DNS-rebinding guard); empty: localhost, 127.0.0.1 and [::1] when HOST is loopback, any otherwise',
  }),
});
export type AppConfig = Static<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  return envSchema<AppConfig>({ schema: ConfigSchema as object, data: env, dotenv: false });
}
