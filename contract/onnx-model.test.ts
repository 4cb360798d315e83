import { describe, expect, it } from 'vitest';
import { encodeModel, floatTensor, torchLikeModel, torchLikeParameters } from '../worker/engine/onnx/torch-like-models.ts';
import { ContractError } from './errors.ts';
import { describeOnnxModel, initializerFloats, onnx, readOnnxModel, withInitializers } from './onnx-model.ts';

function rejection(bytes: Uint8Array, limits?: Parameters<typeof describeOnnxModel>[1]): ContractError {
  try {
    describeOnnxModel(bytes, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).field).toBe('model.onnx');
    return err as ContractError;
  }
  throw new Error('the model was accepted');
}

describe('describeOnnxModel', () => {
  it('derives roles, filter axes and offsets from a torch.onnx.export-style graph', () => {
    const description = describeOnnxModel(encodeModel(torchLikeModel()));
    const byName = Object.fromEntries(description.parameters.map((p) => [p.name, p]));
    expect(description.parameters.map((p) => p.name)).toEqual(torchLikeParameters().map((p) => p.name));
    expect(byName['conv.weight']).toMatchObject({ role: 'kernel', layerClass: 'Conv', filterAxes: [0], shape: [4, 3, 3, 3], size: 108, offset: 0, trainable: true });
    expect(byName['conv.bias']).toMatchObject({ role: 'bias', filterAxes: [], offset: 108 });
    expect(byName['bn.weight']).toMatchObject({ role: 'bn_gamma', trainable: true });
    expect(byName['bn.bias']).toMatchObject({ role: 'bn_beta', trainable: true });
    expect(byName['bn.running_mean']).toMatchObject({ role: 'bn_moving_mean', trainable: false });
    expect(byName['bn.running_var']).toMatchObject({ role: 'bn_moving_variance', trainable: false });
    // Gemm transB=1 (nn.Linear) stores [out, in]: filters along axis 0; transB=0 stores [in, out]: the last axis.
    expect(byName['fc1.weight']).toMatchObject({ role: 'kernel', layerClass: 'Gemm', filterAxes: [0] });
    expect(byName['fc2.weight']).toMatchObject({ role: 'kernel', layerClass: 'Gemm', filterAxes: [1] });
    expect(byName['fc1.bias']).toMatchObject({ role: 'bias' });
    expect(byName['head.weight']).toMatchObject({ role: 'kernel', layerClass: 'MatMul', filterAxes: [1] });
    expect(byName['head.bias']).toMatchObject({ role: 'bias', layerClass: 'Add' });
    const last = description.parameters[description.parameters.length - 1]!;
    expect(last.offset + last.size).toBe(torchLikeParameters().reduce((n, p) => n + p.values.length, 0));
    expect(description.inputShape).toEqual([3, 8, 8]);
    expect(description.outputActivation).toBe('softmax');
    expect(description.trainingLoss).toBeNull();
    expect(description.layers[0]).toEqual({ name: '/conv/Conv', className: 'Conv' });
  });

  it('keeps non-float and non-weight initializers out of the parameter model', () => {
    const model = torchLikeModel();
    const shape = onnx.TensorProto.create({ name: 'shape', dims: [2], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(new BigInt64Array([-1n, 3n]).buffer) });
    model.graph!.initializer!.push(shape);
    model.graph!.node!.push(onnx.NodeProto.create({ name: 'reshape', opType: 'Reshape', input: ['probabilities', 'shape'], output: ['reshaped'] }));
    model.graph!.output = [onnx.ValueInfoProto.create({ name: 'reshaped', type: { tensorType: { elemType: 1 } } })];
    const description = describeOnnxModel(encodeModel(model));
    expect(description.parameters.map((p) => p.name)).not.toContain('shape');
    expect(description.outputActivation).toBe('softmax');
  });

  it('rejects initializers with external data', () => {
    const model = torchLikeModel();
    const weight = model.graph!.initializer![0]!;
    weight.rawData = new Uint8Array(0);
    weight.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    weight.externalData = [{ key: 'location', value: '../../etc/passwd' }];
    expect(rejection(encodeModel(model)).message).toMatch(/external data/);
  });

  it('rejects an initializer whose declared dims do not match its data', () => {
    const model = torchLikeModel();
    model.graph!.initializer![0] = floatTensor('conv.weight', [400, 3, 3, 3], new Float32Array(108));
    expect(rejection(encodeModel(model)).message).toMatch(/declares dims \[400,3,3,3\]/);
    const huge = torchLikeModel();
    huge.graph!.initializer![0] = floatTensor('conv.weight', [2 ** 20, 2 ** 20, 3, 3], new Float32Array(108));
    expect(rejection(encodeModel(huge)).message).toMatch(/more than/);
  });

  it('rejects unknown operators, custom domains and training-mode BN', () => {
    const unknown = torchLikeModel();
    unknown.graph!.node![2]!.opType = 'Loop';
    expect(rejection(encodeModel(unknown)).message).toMatch(/operator Loop/);
    const custom = torchLikeModel();
    custom.graph!.node![2]!.domain = 'com.microsoft';
    expect(rejection(encodeModel(custom)).message).toMatch(/domain "com.microsoft"/);
    const training = torchLikeModel();
    training.graph!.node![1]!.attribute = [onnx.AttributeProto.create({ name: 'training_mode', type: onnx.AttributeProto.AttributeType.INT, i: 1 })];
    expect(rejection(encodeModel(training)).message).toMatch(/training mode/);
  });

  it('rejects models over the size limits, garbage bytes and dangling references', () => {
    const bytes = encodeModel(torchLikeModel());
    expect(rejection(bytes, { maxBytes: 1000 }).message).toMatch(/limit is 1000/);
    expect(rejection(bytes, { maxParameters: 100 }).message).toMatch(/more than 100 parameters/);
    expect(rejection(bytes, { maxNodes: 5 }).message).toMatch(/limit is 5/);
    expect(rejection(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])).message).toMatch(/not a valid ONNX protobuf/);
    const dangling = torchLikeModel();
    dangling.graph!.node![2]!.input = ['nowhere'];
    expect(rejection(encodeModel(dangling)).message).toMatch(/reads "nowhere"/);
  });
});

describe('withInitializers', () => {
  it('writes new values as raw_data, whether the initializer held raw_data or float_data, and keeps the rest of the model', () => {
    const model = torchLikeModel();
    const bias = model.graph!.initializer!.find((t) => t.name === 'conv.bias')!;
    bias.floatData = [...initializerFloats(bias as Parameters<typeof initializerFloats>[0])];
    bias.rawData = new Uint8Array();
    const bytes = encodeModel(model);
    const values = new Map([
      ['conv.bias', Float32Array.from([1, 2, 3, 4])],
      ['fc2.bias', Float32Array.from([-0.5, 0.25, 0, 1, 2, 3])],
    ]);
    const written = readOnnxModel(withInitializers(bytes, values)).model.graph!;
    const original = readOnnxModel(bytes).model.graph!;
    for (const t of written.initializer) {
      const expected = values.get(t.name!) ?? initializerFloats(original.initializer.find((o) => o.name === t.name)!);
      expect([...initializerFloats(t)], t.name!).toEqual([...expected]);
    }
    expect(written.initializer.find((t) => t.name === 'conv.bias')!.floatData).toEqual([]);
    expect(written.node).toEqual(original.node);
  });

  it('refuses a name that is not a float32 initializer of that size', () => {
    const bytes = encodeModel(torchLikeModel());
    expect(() => withInitializers(bytes, new Map([['no.such', new Float32Array(1)]]))).toThrow('no initializer "no.such"');
    expect(() => withInitializers(bytes, new Map([['conv.bias', new Float32Array(3)]]))).toThrow('conv.bias');
  });
});
