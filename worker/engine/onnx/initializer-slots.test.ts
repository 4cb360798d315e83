import { describe, expect, it } from 'vitest';
import { initializerFloats, onnx } from '../../../contract/onnx-model.ts';
import { initializerSlots } from './initializer-slots.ts';
import { encodeModel, torchLikeModel, torchLikeParameters } from './torch-like-models.ts';

describe('initializerSlots', () => {
  it('finds every raw_data payload, so that writing there changes exactly that initializer', () => {
    const bytes = encodeModel(torchLikeModel());
    const slots = initializerSlots(bytes);
    expect([...slots.keys()]).toEqual(torchLikeParameters().map((p) => p.name));
    const slot = slots.get('fc1.weight')!;
    expect(slot.byteLength).toBe(20 * 4);
    const replacement = Float32Array.from({ length: 20 }, (_, i) => i + 0.5);
    bytes.set(new Uint8Array(replacement.buffer), slot.start);
    const decoded = onnx.ModelProto.decode(bytes);
    const tensors = decoded.graph!.initializer! as Parameters<typeof initializerFloats>[0][];
    for (const t of tensors) {
      const expected = t.name === 'fc1.weight' ? replacement : torchLikeParameters().find((p) => p.name === t.name)!.values;
      expect(Array.from(initializerFloats(t))).toEqual(Array.from(expected));
    }
  });
});
