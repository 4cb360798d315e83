import { describe, expect, it } from 'vitest';
import type { ParameterInfo } from '../../contract/parameters.ts';
import { mapDirections } from './map-directions.ts';
import type { ImportedTensor } from './direction-file.ts';

const param = (name: string, shape: number[], offset: number, trainable = true): ParameterInfo => ({
  name, layer: name.split('.')[0]!, layerClass: 'Conv', role: trainable ? (shape.length > 1 ? 'kernel' : 'bias') : 'bn_moving_mean',
  shape, size: shape.reduce((n, d) => n * d, 1), trainable, filterAxes: shape.length > 1 ? [0] : [], offset,
});
/** conv1.weight [2,3], conv1.bias [2], bn.running_mean [2] (not trainable): 10 values. */
const parameters = [param('conv1.weight', [2, 3], 0), param('conv1.bias', [2], 6), param('bn.running_mean', [2], 8, false)];
const tensor = (index: number, name: string | null, shape: number[], start: number): ImportedTensor => ({
  index, name, shape, values: Float32Array.from({ length: shape.reduce((n, d) => n * d, 1) }, (_, i) => start + i),
});

describe('mapDirections', () => {
  it('places unnamed tensors by position among the trainable tensors (net.parameters()); running statistics keep 0', () => {
    const file = { x: [tensor(0, null, [2, 3], 1), tensor(1, null, [2], 7)], y: null };
    expect(Array.from(mapDirections(file, parameters, 'weights', 1, 'directions').x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 0]);
  });

  it('places named tensors by name whatever their order; states mode skips rank-0 tensors (num_batches_tracked) by position', () => {
    const named = { x: [tensor(0, 'conv1.bias', [2], 7), tensor(1, 'conv1.weight', [2, 3], 1)], y: null };
    expect(Array.from(mapDirections(named, parameters, 'weights', 1, 'directions').x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 0]);
    const states = { x: [tensor(0, null, [2, 3], 1), tensor(1, null, [2], 7), tensor(2, null, [2], 9), tensor(3, null, [], 0)], y: null };
    expect(Array.from(mapDirections(states, parameters, 'states', 1, 'directions').x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('lists every tensor that does not match, in one error naming the field', () => {
    const file = { x: [tensor(0, 'conv1.weight', [3, 2], 1), tensor(1, 'fc.weight', [2], 7)], y: null };
    expect(() => mapDirections(file, parameters, 'weights', 1, 'directions')).toThrow(
      'directions: xdirection does not match the model: tensor 0 "conv1.weight" [3,2]: parameter "conv1.weight" has shape [2,3]; ' +
        'tensor 1 "fc.weight" [2]: the model has no parameter of that name; parameter "conv1.bias" [2] has no tensor in the file',
    );
    expect(() => mapDirections({ x: [tensor(0, null, [2, 3], 1)], y: null }, parameters, 'weights', 1, 'directions')).toThrow(/holds 1 tensors, the model has 2 trainable tensors.*parameter 1 "conv1.bias"/);
    expect(() => mapDirections({ x: [tensor(0, null, [2, 3], 1), tensor(1, null, [2], 7)], y: null }, parameters, 'weights', 2, 'directions')).toThrow(/no ydirection/);
  });
});
