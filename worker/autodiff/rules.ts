import { ContractError } from '../../contract/errors.ts';
import type { Graph, Node } from './graph.ts';

/**
 * One operator's differentiation rules (tfjs-core style: one file per operator under ops/).
 * Every rule emits standard ai.onnx operators only (onnxruntime-node has no training kernels).
 * A tangent or cotangent of null stands for an exact zero and is never materialized.
 */

export interface VjpContext {
  g: Graph;
  node: Node;
  /** Cotangent of each output (null = zero); at least one is non-null. */
  dy: (string | null)[];
  /** Whether input i needs a cotangent (it depends on a differentiated parameter). */
  needs: boolean[];
}

export interface JvpContext {
  g: Graph;
  node: Node;
  /** Tangent of each input (null = zero); at least one is non-null. */
  dx: (string | null)[];
}

export interface LowerContext {
  g: Graph;
  node: Node;
  /** BatchNormalization: moving statistics (inference) or the batch's own (training). */
  batchNorm: 'moving' | 'batch';
  /** How many nodes (and graph outputs) read a value of the forward graph. */
  uses(value: string): number;
}

export interface OpRules {
  /** Cotangents of the inputs (null where not needed or zero). */
  vjp?(ctx: VjpContext): (string | null)[];
  /** Tangents of the outputs (null where zero). */
  jvp?(ctx: JvpContext): (string | null)[];
  /**
   * Rewrites the node into other operators before differentiation (BatchNormalization into
   * per-channel affine ops, Gemm into MatMul + Add, ...); returns the values that replace the
   * node's outputs. Lowered operators need no rules of their own.
   */
  lower?(ctx: LowerContext): string[];
}

/** An operator the engine cannot differentiate: the API answers 4xx naming it. */
export class UnsupportedOperatorError extends ContractError {
  constructor(
    field: string,
    readonly op: string,
    readonly nodeName: string,
    reason = 'has no gradient rule',
  ) {
    super(field, `operator ${op} (node "${nodeName}") ${reason}; gradients and Hessians are not available for this model`);
    this.name = 'UnsupportedOperatorError';
  }
}

/**
 * Thrown by rules for an attribute or input configuration they do not cover; the transforms add
 * the node's name and turn it into an UnsupportedOperatorError.
 */
export class RuleLimitation extends Error {}
