import { describe, expect, it } from 'vitest';
import { Waiters } from './waiters.ts';

describe('Waiters', () => {
  it('resolves every waiter of a key with the final value, and only that key\'s', async () => {
    const waiters = new Waiters<string>();
    const a = waiters.wait('a', async () => null);
    const b = waiters.wait('b', async () => null);
    await Promise.resolve();
    waiters.resolve('a', 'done');
    await expect(a).resolves.toBe('done');
    waiters.reject('b', new Error('lost'));
    await expect(b).rejects.toThrow('lost');
  });

  it('rejects a waiter whose end comes while its current value is still being read', async () => {
    const waiters = new Waiters<string>();
    let answer!: (value: string | null) => void;
    const waiting = waiters.wait('k', () => new Promise((resolve) => (answer = resolve)));
    await Promise.resolve();
    waiters.reject('k', new Error('the end could not be recorded'));
    // Nothing awaits the wait's own promise yet: the rejection must not surface as unhandled meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 10));
    answer(null);
    await expect(waiting).rejects.toThrow('the end could not be recorded');
  });

  it('ends at once when the current value is final, or when reading it fails', async () => {
    const waiters = new Waiters<string>();
    await expect(waiters.wait('k', async () => 'already')).resolves.toBe('already');
    await expect(waiters.wait('k', async () => { throw new Error('unreadable'); })).rejects.toThrow('unreadable');
  });
});
