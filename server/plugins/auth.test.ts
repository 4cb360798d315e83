import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { buildApp } from '../app.ts';
import { assertSafeBinding, hashApiKey, isLoopbackHost, loadApiKeys, newApiKey } from './auth.ts';

describe('API keys', () => {
  it('a new key is stored only as its SHA-256, with its tenant and role', () => {
    const { key, entry } = newApiKey('alice', 'admin');
    expect(entry).toEqual({ sha256: hashApiKey(key), tenant: 'alice', role: 'admin' });
    expect(JSON.stringify(entry)).not.toContain(key);
    expect(() => newApiKey('no spaces', 'user')).toThrow(/tenant "no spaces"/);
  });

  it('`loss-atlas key` prints a key and the entry that holds only its hash; a bad tenant is exit code 2', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [resolve(import.meta.dirname, '../../cli/loss-atlas.mjs'), 'key', ...args], { encoding: 'utf8' });
    const made = cli('--tenant', 'alice', '--role', 'admin');
    expect(made.status).toBe(0);
    const key = /^key: +(\S+)$/m.exec(made.stdout)![1]!;
    const entry = JSON.parse(/^entry: (.+)$/m.exec(made.stdout)![1]!);
    expect(entry).toEqual({ sha256: hashApiKey(key), tenant: 'alice', role: 'admin' });
    expect(loadApiKeys({ LA_API_KEYS: JSON.stringify([entry]) })).toEqual([entry]);
    const bad = cli('--tenant', 'a b');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--tenant');
  });

  it('reads LA_API_KEYS or LA_API_KEYS_FILE; a malformed list names the variable and the entry', async () => {
    const { entry } = newApiKey('bob', 'user');
    expect(loadApiKeys({ LA_API_KEYS: JSON.stringify([entry]) })).toEqual([entry]);
    const file = join(await mkdtemp(join(tmpdir(), 'keys-')), 'keys.json');
    await writeFile(file, JSON.stringify([entry]));
    expect(loadApiKeys({ LA_API_KEYS_FILE: file })).toEqual([entry]);
    expect(loadApiKeys({})).toEqual([]);
    expect(() => loadApiKeys({ LA_API_KEYS: '[{"sha256": "abc", "tenant": "x", "role": "user"}]' })).toThrow(/^LA_API_KEYS\.0\.sha256/);
    expect(() => loadApiKeys({ LA_API_KEYS: JSON.stringify([{ ...entry, role: 'root' }]) })).toThrow(/LA_API_KEYS\.0\.role/);
    expect(() => loadApiKeys({ LA_API_KEYS: 'not json' })).toThrow(/LA_API_KEYS is not JSON/);
    expect(() => loadApiKeys({ LA_API_KEYS: '[]', LA_API_KEYS_FILE: file })).toThrow(/not both/);
    expect(() => loadApiKeys({ LA_API_KEYS_FILE: `${file}.missing` })).toThrow(/^LA_API_KEYS_FILE: cannot read .*keys\.json\.missing \(ENOENT\)$/);
  });

  it('without keys only a loopback address may be bound', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.4', 'example.org']) expect(isLoopbackHost(host)).toBe(false);
    expect(() => assertSafeBinding('0.0.0.0', [])).toThrow(/refusing to listen on HOST=0.0.0.0 without API keys/);
    expect(() => assertSafeBinding('0.0.0.0', [newApiKey('a', 'user').entry])).not.toThrow();
    expect(() => assertSafeBinding('127.0.0.1', [])).not.toThrow();
  });

  it('the API refuses to start on a non-loopback HOST without keys, before it touches Redis', async () => {
    const config = loadConfig({ HOST: '0.0.0.0', REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent' });
    await expect(buildApp(config)).rejects.toThrow(/without API keys/);
  });
});
