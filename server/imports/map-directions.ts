import { ContractError } from '../../contract/errors.ts';
import type { ParameterInfo } from '../../contract/parameters.ts';
import type { DirectionFile, ImportedTensor } from './direction-file.ts';

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const describe = (t: ImportedTensor) => `tensor ${t.index}${t.name ? ` "${t.name}"` : ''} [${t.shape}]`;

/**
 * The tensors a reference direction file holds for this model, in order: its net.parameters()
 * (mode weights: trainable tensors) or its state_dict (mode states: every tensor). PyTorch's
 * state_dict names are the ONNX initializer names of a graph exported without constant folding.
 */
function expectedTensors(parameters: ParameterInfo[], mode: string): ParameterInfo[] {
  return mode === 'states' ? parameters : parameters.filter((p) => p.trainable);
}

/**
 * One direction from the file's tensors onto the flat parameter vector (parameter-model order).
 * Named tensors are matched by name, unnamed ones by position among the expected tensors (rank-0
 * tensors, PyTorch's num_batches_tracked in a states file, are skipped); every shape must match.
 * Tensors the file does not cover keep a zero direction only when they are not expected (BN
 * running statistics in mode weights). Every mismatch is listed in one ContractError.
 */
export function mapTensors(tensors: ImportedTensor[], parameters: ParameterInfo[], mode: string, group: string, field: string): Float32Array {
  const expected = expectedTensors(parameters, mode);
  const total = parameters.reduce((n, p) => Math.max(n, p.offset + p.size), 0);
  const flat = new Float32Array(total);
  const problems: string[] = [];
  const named = tensors.length > 0 && tensors.every((t) => t.name !== null);
  const covered = new Set<string>();
  if (named) {
    const byName = new Map(parameters.map((p) => [p.name, p]));
    for (const t of tensors) {
      const p = byName.get(t.name!);
      if (!p) {
        problems.push(`${describe(t)}: the model has no parameter of that name`);
        continue;
      }
      covered.add(p.name);
      if (!sameShape(p.shape, t.shape)) problems.push(`${describe(t)}: parameter "${p.name}" has shape [${p.shape}]`);
      else flat.set(t.values, p.offset);
    }
    for (const p of expected) if (!covered.has(p.name)) problems.push(`parameter "${p.name}" [${p.shape}] has no tensor in the file`);
  } else {
    const used = tensors.filter((t) => t.shape.length > 0);
    if (used.length !== expected.length) {
      problems.push(`the file holds ${used.length} tensors, the model has ${expected.length} ${mode === 'states' ? 'tensors (state_dict)' : 'trainable tensors (net.parameters())'}`);
    }
    used.forEach((t, i) => {
      const p = expected[i];
      if (!p) problems.push(`${describe(t)}: beyond the model's ${expected.length} tensors`);
      else if (!sameShape(p.shape, t.shape)) problems.push(`${describe(t)}: parameter ${i} "${p.name}" has shape [${p.shape}]`);
      else flat.set(t.values, p.offset);
    });
    for (let i = used.length; i < expected.length; i++) problems.push(`parameter ${i} "${expected[i]!.name}" [${expected[i]!.shape}] has no tensor in the file`);
  }
  if (problems.length) throw new ContractError(field, `${group} does not match the model: ${problems.join('; ')}`);
  return flat;
}

/** δ (and η) of an uploaded direction file as flat vectors of the model; ContractError naming `field` and every mismatching tensor. */
export function mapDirections(file: DirectionFile, parameters: ParameterInfo[], mode: string, dimensions: 1 | 2, field: string): { x: Float32Array; y: Float32Array | null } {
  if (dimensions === 2 && !file.y) throw new ContractError(field, 'has no ydirection, which a 2D surface (grid.y) needs');
  return {
    x: mapTensors(file.x, parameters, mode, 'xdirection', field),
    y: dimensions === 2 ? mapTensors(file.y!, parameters, mode, 'ydirection', field) : null,
  };
}
