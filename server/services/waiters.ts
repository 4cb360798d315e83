/**
 * Callers waiting for a key to reach a final value, resolved by the service that sees it happen
 * (a QueueEvents handler), so nobody polls.
 */
export class Waiters<T> {
  private readonly waiting = new Map<string, Set<(value: T) => void>>();

  /**
   * Waits for `resolve(key, …)`; `current` is asked after the waiter is registered (so a value
   * settled meanwhile is never missed) and ends the wait at once when it returns a value.
   */
  async wait(key: string, current: () => Promise<T | null>): Promise<T> {
    let settle!: (value: T) => void;
    const settled = new Promise<T>((resolve) => (settle = resolve));
    const set = this.waiting.get(key) ?? new Set();
    set.add(settle);
    this.waiting.set(key, set);
    try {
      const now = await current();
      if (now !== null) settle(now);
      return await settled;
    } finally {
      set.delete(settle);
      if (set.size === 0 && this.waiting.get(key) === set) this.waiting.delete(key);
    }
  }

  resolve(key: string, value: T): void {
    for (const settle of this.waiting.get(key) ?? []) settle(value);
  }
}
