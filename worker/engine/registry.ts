import { ContractError, type Engine } from '../../contract/index.ts';
import type { Evaluator } from './evaluator.ts';
import { TfjsEvaluator } from './tfjs/evaluator.ts';
import { OnnxEvaluator } from './onnx/evaluator.ts';

export type EvaluatorFactory = () => Promise<Evaluator>;

/** Engines this worker can run; undefined where the engine is not built in. */
export const ENGINES: Record<Engine, EvaluatorFactory | undefined> = {
  tfjs: () => TfjsEvaluator.create(),
  onnx: () => OnnxEvaluator.create(),
};

/** A fresh evaluator of the named engine; ContractError('engine', …) when this worker lacks it. */
export function createEvaluator(engine: Engine): Promise<Evaluator> {
  const factory = Object.hasOwn(ENGINES, engine) ? ENGINES[engine] : undefined;
  if (!factory) {
    const available = Object.entries(ENGINES).filter(([, f]) => f).map(([name]) => name);
    return Promise.reject(new ContractError('engine', `engine "${engine}" is not available (available: ${available.join(', ')})`));
  }
  return factory();
}
