import { ContractError, type Engine } from '../../contract/index.ts';
import { workerConfig, type WorkerConfig } from '../config.ts';
import type { Evaluator } from './evaluator.ts';
import { TfjsEvaluator } from './tfjs/evaluator.ts';
import { OnnxEvaluator } from './onnx/evaluator.ts';

export type EvaluatorFactory = () => Promise<Evaluator>;

/** The engines' settings from the worker's configuration (engine modules read no environment). */
export type EngineSettings = Pick<WorkerConfig, 'LA_ONNX_THREADS' | 'LA_ONNX_PARAMETER_FEED' | 'LA_TFJS_BACKEND'> & {
  /** Where an engine reports a degraded start (e.g. a backend fallback); default console.warn. */
  onWarning?: (message: string) => void;
};

/** The documented defaults (WorkerConfigSchema). */
export const DEFAULT_ENGINE_SETTINGS: EngineSettings = workerConfig({});

/** Engines this worker can run, configured; undefined where the engine is not built in. */
export function engineFactories(settings: EngineSettings = DEFAULT_ENGINE_SETTINGS): Record<Engine, EvaluatorFactory | undefined> {
  return {
    tfjs: () => TfjsEvaluator.create({ backend: settings.LA_TFJS_BACKEND, onWarning: settings.onWarning }),
    onnx: () => OnnxEvaluator.create({ parameterFeed: settings.LA_ONNX_PARAMETER_FEED, threads: settings.LA_ONNX_THREADS }),
  };
}

/** A fresh evaluator of the named engine; ContractError('engine', …) when this worker lacks it. */
export function createEvaluator(engine: Engine, settings: EngineSettings = DEFAULT_ENGINE_SETTINGS): Promise<Evaluator> {
  const engines = engineFactories(settings);
  const factory = Object.hasOwn(engines, engine) ? engines[engine] : undefined;
  if (!factory) {
    const available = Object.entries(engines).filter(([, f]) => f).map(([name]) => name);
    return Promise.reject(new ContractError('engine', `engine "${engine}" is not available (available: ${available.join(', ')})`));
  }
  return factory();
}
