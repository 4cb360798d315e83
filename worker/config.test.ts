import { describe, expect, it } from 'vitest';
import { defaultWorkerCount, hessianHelperCount, redactUrl, workerConfig } from './config.ts';

describe('worker configuration', () => {
  it('fills in the documented defaults', () => {
    expect(workerConfig({})).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      LA_NAMESPACE: 'la',
      LOG_LEVEL: 'info',
      LA_LOCK_MS: 30_000,
      LA_STALLED_MS: 15_000,
      LA_CHUNK_TIME_FLOOR_MS: 120_000,
      LA_CHUNK_TIME_PER_WORK_NS: 1000,
      LA_ONNX_THREADS: 1,
      LA_HVP_CACHE_MB: 1024,
      LA_ONNX_PARAMETER_FEED: 'auto',
      LA_TFJS_BACKEND: 'auto',
    });
  });

  it('parses numbers and refuses bad values naming the variable', () => {
    expect(workerConfig({ LA_LOCK_MS: '5000', LA_ONNX_THREADS: '2', LA_WORKERS: '3' })).toMatchObject({ LA_LOCK_MS: 5000, LA_ONNX_THREADS: 2, LA_WORKERS: 3 });
    expect(defaultWorkerCount(workerConfig({ LA_WORKERS: '3' }))).toBe(3);
    // A map's job runs on one worker; its helpers take the others.
    expect(hessianHelperCount(workerConfig({ LA_WORKERS: '3' }))).toBe(2);
    expect(hessianHelperCount(workerConfig({ LA_WORKERS: '3', LA_HESSIAN_HELPERS: '0' }))).toBe(0);
    expect(() => workerConfig({ LA_HESSIAN_HELPERS: '-1' })).toThrow(/LA_HESSIAN_HELPERS/);
    expect(() => workerConfig({ LA_LOCK_MS: '0' })).toThrow(/LA_LOCK_MS/);
    expect(workerConfig({ LA_HVP_CACHE_MB: '0' }).LA_HVP_CACHE_MB).toBe(0);
    expect(() => workerConfig({ LA_HVP_CACHE_MB: '-1' })).toThrow(/LA_HVP_CACHE_MB/);
    expect(() => workerConfig({ LA_NAMESPACE: 'a:b' })).toThrow(/LA_NAMESPACE/);
    expect(() => workerConfig({ LA_ONNX_PARAMETER_FEED: 'weights' })).toThrow(/LA_ONNX_PARAMETER_FEED/);
  });
});

describe('redactUrl', () => {
  it('hides a password inside REDIS_URL and keeps the rest', () => {
    const redacted = redactUrl('redis://default:s3cret-pass@redis.example:6380/2');
    expect(redacted).not.toContain('s3cret-pass');
    expect(redacted).toBe('redis://default:***@redis.example:6380/2');
    expect(redactUrl('redis://:only-password@127.0.0.1:6379')).toBe('redis://:***@127.0.0.1:6379');
  });

  it('leaves a URL without a password as it is', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
