import { describe, expect, it } from 'vitest';
import { ContractError } from './errors.ts';
import { resolveTrainingRequest } from './training.ts';

describe('resolveTrainingRequest', () => {
  const dataset = { id: 'moons' };

  it('resolves a new architecture without a model key, so recipes stored before the option compare equal', () => {
    const resolved = resolveTrainingRequest({ architecture: { id: 'mlp' }, dataset, epochs: 2 });
    expect(resolved).toMatchObject({ architecture: { id: 'mlp', width: 1 }, name: 'mlp on moons (seed 0)' });
    expect('model' in resolved).toBe(false);
  });

  it('resolves a stored model trained further from its record, named after it', () => {
    const base = { id: 'm-1', name: 'torch mlp', hash: 'abc' };
    expect(resolveTrainingRequest({ model: 'm-1', dataset, epochs: 2, seed: 3 }, base)).toMatchObject({
      architecture: null, model: base, name: 'torch mlp trained further on moons (seed 3)',
    });
  });

  it('takes exactly one of architecture and model, naming the field', () => {
    const field = (run: () => unknown) => {
      try {
        run();
      } catch (err) {
        expect(err).toBeInstanceOf(ContractError);
        return (err as ContractError).field;
      }
      return null;
    };
    expect(field(() => resolveTrainingRequest({ dataset, epochs: 1 }))).toBe('architecture');
    expect(field(() => resolveTrainingRequest({ architecture: { id: 'mlp' }, model: 'm-1', dataset, epochs: 1 }, { id: 'm-1', name: 'x', hash: 'h' }))).toBe('model');
  });
});
