import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** A fresh copy of backend.ts, so its once-per-process initialization runs again. */
async function freshInitTfjs() {
  vi.resetModules();
  const { initTfjs } = await import('./backend.ts');
  return () => initTfjs({ backend: process.env.LA_TFJS_BACKEND });
}

function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('initTfjs', () => {
  const saved = process.env.LA_TFJS_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.LA_TFJS_BACKEND;
    else process.env.LA_TFJS_BACKEND = saved;
  });

  it('picks wasm when tfjs-node is absent, and is idempotent', async () => {
    if (tfjsNodeInstalled()) return;
    delete process.env.LA_TFJS_BACKEND;
    const initTfjs = await freshInitTfjs();
    const first = await initTfjs();
    expect(first).toEqual({ name: 'tfjs', backend: 'wasm', version: tf.version.tfjs });
    expect(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(false);
    expect(await initTfjs()).toBe(first);
  });

  it('honours LA_TFJS_BACKEND=cpu', async () => {
    process.env.LA_TFJS_BACKEND = 'cpu';
    expect((await (await freshInitTfjs())()).backend).toBe('cpu');
    process.env.LA_TFJS_BACKEND = 'wasm';
    expect((await (await freshInitTfjs())()).backend).toBe('wasm');
  });

  it('fails loudly when the forced backend cannot load or is unknown', async () => {
    if (!tfjsNodeInstalled()) {
      process.env.LA_TFJS_BACKEND = 'node';
      await expect((await freshInitTfjs())()).rejects.toThrow(/LA_TFJS_BACKEND=node was requested but cannot load/);
    }
    process.env.LA_TFJS_BACKEND = 'gpu';
    await expect((await freshInitTfjs())()).rejects.toThrow(/LA_TFJS_BACKEND="gpu" is not one of node, wasm, cpu/);
  });
});
