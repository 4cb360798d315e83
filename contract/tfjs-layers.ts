import type { ParameterInfo, ParameterRole } from './parameters.ts';
import { LossName } from './losses.ts';
import { ContractError } from './errors.ts';

/**
 * Reading a tfjs Layers model.json (format "layers-model") without tfjs: the layer list, the
 * weight manifest and the parameter model. The API uses it to validate uploads; the worker to
 * know each tensor's role.
 */

/** Layers the tfjs engine evaluates. Anything else is rejected at upload, naming the layer. */
export const SUPPORTED_LAYERS: ReadonlySet<string> = new Set([
  'InputLayer', 'Sequential', 'Functional', 'Model',
  'Conv1D', 'Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'SeparableConv2D', 'Dense',
  'BatchNormalization', 'LayerNormalization',
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax', 'PReLU',
  'Add', 'Concatenate', 'Average', 'Multiply', 'Subtract', 'Maximum', 'Minimum',
  'MaxPooling1D', 'MaxPooling2D', 'AveragePooling1D', 'AveragePooling2D',
  'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D',
  'Flatten', 'Reshape', 'Permute', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout',
  'ZeroPadding2D', 'Cropping2D', 'UpSampling2D',
]);

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

export interface LayersModelJson {
  format?: string;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  trainingConfig?: unknown;
  generatedBy?: string;
  convertedBy?: string | null;
}

interface LayerConfig {
  class_name: string;
  config: { name?: string; layers?: LayerConfig[]; layer?: LayerConfig; activation?: string; trainable?: boolean };
  name?: string;
}

export interface LayersModelDescription {
  layers: { name: string; className: string }[];
  weights: WeightSpec[];
  shardPaths: string[];
  parameters: ParameterInfo[];
  /** Loss named by the model's training config, if any. */
  trainingLoss: LossName | null;
  /** Whether the last layer already produces probabilities (softmax/sigmoid) or logits. */
  outputActivation: string;
  inputShape: number[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deepest nesting of models in models (Sequential in Functional …) an upload may have. */
export const MAX_MODEL_NESTING = 16;
/** Most layers a model may have: the zoo's ResNet-56 has about 200. */
export const MAX_LAYERS = 2000;

interface CollectedLayer {
  name: string;
  className: string;
  config: LayerConfig['config'];
}

/**
 * Every layer, depth first, without recursion (a hostile model.json may nest thousands deep):
 * each entry must be an object with a class_name, `layers` an array, nesting and count bounded.
 */
function collectLayers(root: LayerConfig, out: CollectedLayer[]): void {
  const stack: { layer: unknown; depth: number; where: string }[] = [{ layer: root, depth: 0, where: 'modelTopology' }];
  while (stack.length > 0) {
    const { layer, depth, where } = stack.pop()!;
    if (!isRecord(layer) || typeof layer.class_name !== 'string') throw new ContractError('model.json', `${where} is not a layer (an object with a class_name)`);
    const config = layer.config === undefined ? {} : layer.config;
    if (!isRecord(config)) throw new ContractError('model.json', `${where} has a config that is not an object`);
    const name = typeof config.name === 'string' ? config.name : typeof layer.name === 'string' ? layer.name : '';
    out.push({ name, className: layer.class_name, config: config as LayerConfig['config'] });
    if (out.length > MAX_LAYERS) throw new ContractError('model.json', `has more than ${MAX_LAYERS} layers`);
    if (config.layers === undefined) continue;
    if (!Array.isArray(config.layers)) throw new ContractError('model.json', `layer "${name}" has config.layers that is not an array`);
    if (depth + 1 > MAX_MODEL_NESTING) throw new ContractError('model.json', `layer "${name}" nests models more than ${MAX_MODEL_NESTING} deep`);
    for (let i = config.layers.length - 1; i >= 0; i--) stack.push({ layer: config.layers[i], depth: depth + 1, where: `layer ${i} of "${name}"` });
  }
}

function topologyRoot(topology: unknown): LayerConfig {
  if (!isRecord(topology)) throw new ContractError('model.json', 'modelTopology is missing or not an object');
  const root = (isRecord(topology.model_config) ? topology.model_config : topology) as unknown as LayerConfig;
  if (typeof root.class_name !== 'string') throw new ContractError('model.json', 'modelTopology has no class_name: not a tfjs Layers model');
  return root;
}

const WEIGHT_ROLES: Record<string, ParameterRole> = {
  kernel: 'kernel',
  depthwise_kernel: 'kernel',
  pointwise_kernel: 'kernel',
  bias: 'bias',
  gamma: 'bn_gamma',
  beta: 'bn_beta',
  moving_mean: 'bn_moving_mean',
  moving_variance: 'bn_moving_variance',
};

function filterAxesFor(shortName: string, shape: number[]): number[] {
  if (shape.length <= 1) return [];
  // Depthwise kernels [kh, kw, in, mult]: every (in, mult) pair is its own filter.
  if (shortName === 'depthwise_kernel') return [shape.length - 2, shape.length - 1];
  return [shape.length - 1];
}

function normalizeLossName(raw: unknown): LossName | null {
  if (typeof raw !== 'string') return null;
  const snake = raw.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  const aliases: Record<string, LossName> = {
    categorical_crossentropy: 'categorical_crossentropy',
    sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
    binary_crossentropy: 'binary_crossentropy',
    mean_squared_error: 'mse',
    mse: 'mse',
  };
  return Object.hasOwn(aliases, snake) ? aliases[snake]! : null;
}

function shapeOf(v: unknown): number[] {
  return Array.isArray(v) ? v.slice(1).map((d) => (typeof d === 'number' ? d : -1)) : [];
}

/** Parse and validate a tfjs Layers model.json; throws ContractError naming the problem. */
export function describeLayersModel(json: unknown): LayersModelDescription {
  if (!isRecord(json)) throw new ContractError('model.json', 'is not a JSON object');
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new ContractError('model.json', `format "${String(json.format)}" is not "layers-model" (graph models have no layers to perturb)`);
  }
  const root = topologyRoot(json.modelTopology);
  const collected: CollectedLayer[] = [];
  collectLayers(root, collected);
  const unsupported = collected.find((l) => !SUPPORTED_LAYERS.has(l.className));
  if (unsupported) {
    throw new ContractError('model.json', `layer "${unsupported.name}" of class ${unsupported.className} is not supported by the evaluation engines`);
  }
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) throw new ContractError('model.json', 'weightsManifest is missing or empty');
  const weights: WeightSpec[] = [];
  const shardPaths: string[] = [];
  for (const group of manifest as unknown[]) {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ContractError('model.json', 'weightsManifest entries need paths and weights arrays');
    }
    for (const p of group.paths) {
      if (typeof p !== 'string' || p.includes('/') || p.includes('\\') || p.startsWith('.')) {
        throw new ContractError('model.json', `weight path ${JSON.stringify(p)} must be a plain file name`);
      }
      shardPaths.push(p);
    }
    for (const w of group.weights as unknown[]) {
      if (!isRecord(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new ContractError('model.json', `weight entry ${JSON.stringify(w).slice(0, 80)} needs a name and an integer shape`);
      }
      const dtype = typeof w.dtype === 'string' ? w.dtype : 'float32';
      if (dtype !== 'float32') throw new ContractError('model.json', `weight "${w.name}" has dtype ${dtype}; only float32 weights are supported`);
      if (w.quantization !== undefined) throw new ContractError('model.json', `weight "${w.name}" is quantized; upload float32 weights`);
      weights.push({ name: w.name, shape: w.shape as number[], dtype });
    }
  }
  if (!collected.some((l) => !['Sequential', 'Functional', 'Model', 'InputLayer'].includes(l.className))) {
    throw new ContractError('model.json', 'has no layers: a model needs at least one layer besides its inputs');
  }
  const byName = new Map(collected.map((l) => [l.name, l]));
  const parameters: ParameterInfo[] = [];
  let offset = 0;
  for (const w of weights) {
    const slash = w.name.lastIndexOf('/');
    const layerName = slash < 0 ? w.name : w.name.slice(0, slash).split('/').pop()!;
    const shortName = (slash < 0 ? w.name : w.name.slice(slash + 1)).replace(/_\d+$/, '');
    const layer = byName.get(layerName);
    const role = (Object.hasOwn(WEIGHT_ROLES, shortName) ? WEIGHT_ROLES[shortName] : undefined) ?? 'other';
    const size = w.shape.reduce((n, d) => n * d, 1);
    parameters.push({
      name: w.name,
      layer: layerName,
      layerClass: layer?.className ?? 'unknown',
      role,
      shape: w.shape,
      size,
      trainable: role !== 'bn_moving_mean' && role !== 'bn_moving_variance' && layer?.config.trainable !== false,
      filterAxes: filterAxesFor(shortName, w.shape),
      offset,
    });
    offset += size;
  }
  const topology = json.modelTopology as Record<string, unknown>;
  const config = isRecord(topology.model_config) ? topology : { model_config: topology };
  const training = (json.trainingConfig ?? (config as Record<string, unknown>).training_config) as Record<string, unknown> | undefined;
  const last = [...collected].reverse().find((l) => !['Sequential', 'Functional', 'Model', 'Dropout', 'Flatten', 'Reshape'].includes(l.className));
  const outputActivation =
    last?.className === 'Softmax' ? 'softmax' : last?.className === 'Activation' || last?.className === 'Dense' ? (last.config.activation ?? 'linear') : 'linear';
  const firstLayer = collected.find((l) => l.className === 'InputLayer') ?? collected[1];
  const batchInput = (firstLayer?.config as Record<string, unknown> | undefined)?.batch_input_shape;
  return {
    layers: collected.map(({ name, className }) => ({ name, className })),
    weights,
    shardPaths,
    parameters,
    trainingLoss: normalizeLossName(isRecord(training) ? training.loss : undefined),
    outputActivation,
    inputShape: shapeOf(batchInput),
  };
}
