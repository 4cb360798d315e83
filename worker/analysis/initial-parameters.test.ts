import { beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '../../contract/errors.ts';
import { describeLayersModel } from '../../contract/tfjs-layers.ts';
import { resolveTrainingRequest } from '../../contract/training.ts';
import { builtinDataset } from '../datasets/builtin.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { runTraining } from '../training/run.ts';
import { initialisationParameters } from './initial-parameters.ts';

beforeAll(async () => {
  await initTfjs();
});

describe('initialisationParameters', () => {
  it('rebuilds, bit for bit, the weights a training run started from', async () => {
    const request = resolveTrainingRequest({ architecture: { id: 'mlp-res', width: 0.5 }, dataset: { id: 'moons' }, epochs: 1, seed: 77, checkpointEvery: 1 });
    let epochZero: Float32Array | null = null;
    const run = await runTraining(request, builtinDataset('moons'), {
      measureTrainSplit: false,
      onCheckpoint: (epoch, parameters) => {
        if (epoch === 0) epochZero = parameters.slice();
      },
    });
    const { parameters } = describeLayersModel(JSON.parse(new TextDecoder().decode(run.files['model.json'])));
    const rebuilt = await initialisationParameters(request.architecture!, request.seed, { inputShape: [2], classes: 2 }, parameters);
    expect(epochZero).not.toBeNull();
    expect(Buffer.from(rebuilt.buffer).equals(Buffer.from(epochZero!.buffer))).toBe(true);
    const otherSeed = await initialisationParameters(request.architecture!, request.seed + 1, { inputShape: [2], classes: 2 }, parameters);
    expect(Buffer.from(otherSeed.buffer).equals(Buffer.from(rebuilt.buffer))).toBe(false);
  });

  it('refuses a recipe that does not rebuild the model, naming the field', async () => {
    const request = resolveTrainingRequest({ architecture: { id: 'mlp' }, dataset: { id: 'moons' }, epochs: 1 });
    const run = await runTraining(request, builtinDataset('moons'), { measureTrainSplit: false });
    const { parameters } = describeLayersModel(JSON.parse(new TextDecoder().decode(run.files['model.json'])));
    const rebuild = initialisationParameters({ id: 'mlp', width: 2 }, 0, { inputShape: [2], classes: 2 }, parameters);
    await expect(rebuild).rejects.toThrow(ContractError);
    await expect(rebuild).rejects.toMatchObject({ field: 'recipe.architecture' });
  });
});
