import { describe, expect, it } from 'vitest';
import type { SurfaceRecord } from '../../contract/index.ts';
import { progressLine, surfaceCaption } from './surface-caption.ts';

const record = {
  id: 'abc',
  name: null,
  request: { grid: { x: { min: -1, max: 1, num: 21 }, y: { min: -0.5, max: 0.5, num: 11 } } },
  provenance: {
    model: { id: 'demo-cnn-skip', name: 'Demo CNN (skip)', parameterCount: 12345 },
    dataset: { id: 'mnist', split: 'test', samples: 500 },
    directions: { normalization: 'filter', ignore: 'biasbn', mode: 'weights', seed: 0, cosine: 0.01234 },
    loss: 'sparse_categorical_crossentropy',
    engine: { name: 'onnx', backend: 'onnxruntime-cpu', version: '1' },
  },
  timings: { secondsPerPoint: 0.0021 },
} as unknown as SurfaceRecord;

describe('surface caption', () => {
  it('titles a 2D surface by model name and grid, and lists its provenance', () => {
    const caption = surfaceCaption(record);
    expect(caption.title).toBe('Demo CNN (skip) · 21×11 over α [-1, 1], β [-0.5, 0.5]');
    expect(caption.provenance).toBe(
      'model demo-cnn-skip (12,345 parameters) · mnist test, 500 samples · directions filter, ignore biasbn, weights, seed 0, cos(δ, η) = 0.0123 · ' +
        'loss sparse_categorical_crossentropy · onnx/onnxruntime-cpu · 2.1 ms per point · id abc',
    );
  });

  it('titles a 1D surface by its name and points', () => {
    const line = { ...record, name: 'my line', request: { grid: { x: { min: -1, max: 1, num: 21 } } } } as unknown as SurfaceRecord;
    expect(surfaceCaption(line).title).toBe('my line · 21 points over α [-1, 1]');
  });
});

describe('progress line', () => {
  const at = (status: Parameters<typeof progressLine>[0]['status'], done: number, error: { code: string; message: string } | null = null) =>
    progressLine({ status, progress: { done, total: 441 }, error });

  it('counts points and percent while running, and offers cancel while queued or running', () => {
    expect(at('running', 100)).toEqual({ text: 'running · 100 / 441 points · 22 %', percent: 22, cancellable: true });
    expect(at('queued', 0).cancellable).toBe(true);
  });

  it('says completed at 100 %, where a run was cancelled, and why it failed', () => {
    expect(at('completed', 441)).toEqual({ text: 'completed · 441 points · 100 %', percent: 100, cancellable: false });
    expect(at('cancelled', 57)).toEqual({ text: 'cancelled at 57 / 441 points', percent: 12, cancellable: false });
    expect(at('failed', 3, { code: 'ENGINE', message: 'out of memory' }).text).toBe('failed: out of memory (ENGINE)');
    expect(at('lost', 3, null).text).toBe('failed: unknown error');
  });
});
