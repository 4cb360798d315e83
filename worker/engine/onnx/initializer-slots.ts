/**
 * Where each initializer's raw_data bytes sit inside a serialized ONNX model, so that a new
 * point's parameters can be written straight into the model bytes (no re-encode per point).
 * Walks the protobuf wire format: ModelProto.graph = 7, GraphProto.initializer = 5,
 * TensorProto.name = 8, TensorProto.raw_data = 9.
 */

export interface ByteSlot {
  /** First byte of the tensor's raw_data payload in the serialized model. */
  start: number;
  byteLength: number;
}

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

interface Field {
  number: number;
  /** Payload range of a length-delimited field (empty for other wire types). */
  start: number;
  end: number;
}

function readVarint(bytes: Uint8Array, at: { pos: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (at.pos >= bytes.length) throw new Error('truncated varint');
    const byte = bytes[at.pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
}

function* fields(bytes: Uint8Array, start: number, end: number): Generator<Field> {
  const at = { pos: start };
  while (at.pos < end) {
    const key = readVarint(bytes, at);
    const wire = key % 8;
    const number = Math.floor(key / 8);
    if (wire === WIRE_VARINT) {
      readVarint(bytes, at);
      yield { number, start: at.pos, end: at.pos };
    } else if (wire === WIRE_FIXED64) {
      at.pos += 8;
    } else if (wire === WIRE_FIXED32) {
      at.pos += 4;
    } else if (wire === WIRE_LENGTH_DELIMITED) {
      const length = readVarint(bytes, at);
      const payload = at.pos;
      at.pos += length;
      if (at.pos > end) throw new Error('length-delimited field runs past its message');
      yield { number, start: payload, end: at.pos };
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

/** raw_data slot of every initializer that stores its values as raw_data, by initializer name. */
export function initializerSlots(model: Uint8Array): Map<string, ByteSlot> {
  const slots = new Map<string, ByteSlot>();
  const decoder = new TextDecoder();
  for (const graph of fields(model, 0, model.length)) {
    if (graph.number !== MODEL_GRAPH) continue;
    for (const init of fields(model, graph.start, graph.end)) {
      if (init.number !== GRAPH_INITIALIZER) continue;
      let name: string | null = null;
      let raw: ByteSlot | null = null;
      for (const f of fields(model, init.start, init.end)) {
        if (f.number === TENSOR_NAME) name = decoder.decode(model.subarray(f.start, f.end));
        else if (f.number === TENSOR_RAW_DATA) raw = { start: f.start, byteLength: f.end - f.start };
      }
      if (name !== null && raw) slots.set(name, raw);
    }
  }
  return slots;
}
