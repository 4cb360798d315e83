import { describe, expect, it } from 'vitest';
import { toChannelsFirst } from './channels-first.ts';

describe('toChannelsFirst', () => {
  it('moves the channel axis of each sample in front of its rows and columns', () => {
    // Two samples of 1×2 pixels with 3 channels: value = 100·sample + 10·pixel + channel.
    const nhwc = Float32Array.from([0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
    expect(Array.from(toChannelsFirst(nhwc, 2, [1, 2, 3]))).toEqual([0, 10, 1, 11, 2, 12, 100, 110, 101, 111, 102, 112]);
  });
});
