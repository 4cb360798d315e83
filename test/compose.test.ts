import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** docker-compose.yml as shipped: what running Loss Atlas for others relies on. */
type Service = {
  command?: string[];
  restart?: string;
  environment?: Record<string, string>;
  secrets?: string[];
  healthcheck?: { test: string[] };
  deploy?: { replicas: number | string };
};
const compose = parse(readFileSync(resolve(import.meta.dirname, '../docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
};
const { redis, api, worker } = compose.services as Record<'redis' | 'api' | 'worker', Service>;

/** A value with compose's `${VAR:-default}` resolved to its default. */
const withDefault = (value: string | number) => String(value).replace(/^\$\{[A-Z_]+:-(.*)\}$/, '$1');

describe('docker-compose.yml', () => {
  it('the API reads its keys from a secret file (it refuses to bind 0.0.0.0 without keys)', () => {
    expect(api.environment).toMatchObject({ HOST: '0.0.0.0', LA_API_KEYS_FILE: '/run/secrets/api-keys' });
    expect(api.secrets).toContain('api-keys');
    expect(compose.secrets['api-keys']?.file).toBeTruthy();
  });

  it('every service restarts, and runs node --import tsx, not npx', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect({ name, restart: service.restart }).toEqual({ name, restart: 'unless-stopped' });
    }
    expect(api.command).toEqual(['node', '--import', 'tsx', 'server/main.ts']);
    expect(worker.command).toEqual(['node', '--import', 'tsx', 'worker/main.ts']);
    expect(JSON.stringify(compose)).not.toContain('npx');
  });

  it('healthchecks: Redis ping, the API /ready, each worker its own heartbeat', () => {
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(api.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8080/ready');
    expect(worker.healthcheck?.test).toEqual(['CMD', 'node', '--import', 'tsx', 'worker/alive.ts']);
  });

  it('Redis keeps an append-only file and never evicts keys', () => {
    const command = redis.command!.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('runs several worker replicas', () => {
    expect(Number(withDefault(worker.deploy!.replicas))).toBeGreaterThanOrEqual(2);
  });
});
