import * as tf from '@tensorflow/tfjs';
import type { EngineInfo } from '../../../contract/index.ts';

export type TfjsBackendChoice = 'node' | 'wasm' | 'cpu';

const BACKEND_ORDER: readonly TfjsBackendChoice[] = ['node', 'wasm', 'cpu'];

// A variable specifier keeps TypeScript from resolving the optional package at type-check time.
const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node';

async function activate(choice: TfjsBackendChoice): Promise<void> {
  if (choice === 'node') {
    await import(TFJS_NODE_PACKAGE);
    if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialize');
  } else if (choice === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    // Worker processes already get one core each; wasm threads would only contend with them.
    // (The flag exists only once the wasm package is imported.)
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialize');
  } else if (!(await tf.setBackend('cpu'))) {
    throw new Error('the cpu backend did not initialize');
  }
  await tf.ready();
}

export interface TfjsBackendOptions {
  /** LA_TFJS_BACKEND: auto (default) | node | wasm | cpu. */
  backend?: string;
  /** Where a fallback is reported (the worker's logger); default console.warn. */
  onWarning?: (message: string) => void;
}

function forcedBackend(raw: string | undefined): TfjsBackendChoice | null {
  if (raw === undefined || raw === '' || raw === 'auto') return null;
  if (!(BACKEND_ORDER as readonly string[]).includes(raw)) {
    throw new Error(`LA_TFJS_BACKEND="${raw}" is not one of ${BACKEND_ORDER.join(', ')}`);
  }
  return raw as TfjsBackendChoice;
}

async function initialize({ backend, onWarning = console.warn }: TfjsBackendOptions): Promise<EngineInfo> {
  const forced = forcedBackend(backend);
  if (forced) {
    try {
      await activate(forced);
    } catch (err) {
      throw new Error(`LA_TFJS_BACKEND=${forced} was requested but cannot load: ${(err as Error).message}`);
    }
  } else {
    const failures: string[] = [];
    let active: TfjsBackendChoice | null = null;
    for (const choice of BACKEND_ORDER) {
      try {
        await activate(choice);
        active = choice;
        break;
      } catch (err) {
        failures.push(`${choice}: ${(err as Error).message}`);
        // tfjs-node is optional and usually absent; losing wasm costs an order of magnitude in speed.
        if (choice === 'wasm') onWarning(`tfjs: the wasm backend failed to load (${(err as Error).message}); falling back`);
      }
    }
    if (!active) throw new Error(`no tfjs backend could be loaded (${failures.join('; ')})`);
  }
  return { name: 'tfjs', backend: tf.getBackend(), version: tf.version.tfjs };
}

let initialization: Promise<EngineInfo> | null = null;

/**
 * Idempotent: the first call's options decide. Backend order: tfjs-node if it loads, else wasm
 * (SIMD, single-threaded), else cpu; `backend` (LA_TFJS_BACKEND) = node | wasm | cpu forces one
 * and fails loudly if it cannot load.
 */
export function initTfjs(options: TfjsBackendOptions = {}): Promise<EngineInfo> {
  initialization ??= initialize(options).catch((err: unknown) => {
    // A failed start may be retried (e.g. after fixing the environment) rather than cached forever.
    initialization = null;
    throw err;
  });
  return initialization;
}
