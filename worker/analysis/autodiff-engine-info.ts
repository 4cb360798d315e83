import * as ort from 'onnxruntime-node';
import { CROSS_ENTROPY_FORM, type EngineInfo } from '../../contract/index.ts';

/** What a Hessian map or spectrum records about the engine that computed it. */
export function autodiffEngineInfo(): EngineInfo {
  return { name: 'onnx', backend: 'onnxruntime-cpu autodiff (reverse mode, forward-over-reverse H·v)', version: ort.env.versions.common, crossEntropy: CROSS_ENTROPY_FORM };
}
