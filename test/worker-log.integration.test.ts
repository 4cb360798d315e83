import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deleteNamespace } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('worker log', () => {
  it('writes one JSON line per event and never the password inside REDIS_URL', async () => {
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    // This Redis has no password: ioredis warns and carries on, so the worker starts normally.
    url.password = password;
    const namespace = `t${randomBytes(5).toString('hex')}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: root,
      env: { ...process.env, REDIS_URL: url.toString(), LA_NAMESPACE: namespace, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await until(() => `the worker to log ready: ${stdout}`, async () => {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${stderr}`);
        return stdout.includes('"worker ready"');
      }, { timeoutMs: 90_000 });
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      const ready = lines.find((line) => line.msg === 'worker ready')!;
      expect(ready).toMatchObject({ level: 30, role: 'worker', namespace, redis: expect.stringContaining(':***@') });
      expect(lines.some((line) => line.signal === 'SIGTERM')).toBe(true);
      expect(stdout + stderr).not.toContain(password);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await deleteNamespace(namespace);
    }
  }, 120_000);
});
