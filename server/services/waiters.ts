/**
 * Callers waiting for a key to reach a final value, settled by the service that sees it happen
 * (a QueueEvents handler), so nobody polls: resolved with the value, or rejected when the end
 * happened but cannot be read or recorded, so a waiter never hangs on it.
 */
export class Waiters<T> {
  private readonly waiting = new Map<string, Set<{ resolve: (value: T) => void; reject: (error: Error) => void }>>();

  /**
   * Waits for `resolve(key, …)` or `reject(key, …)`; `current` is asked after the waiter is
   * registered (so an end settled meanwhile is never missed): a value ends the wait at once, and
   * so does an error it throws.
   */
  async wait(key: string, current: () => Promise<T | null>): Promise<T> {
    let waiter!: { resolve: (value: T) => void; reject: (error: Error) => void };
    const settled = new Promise<T>((resolve, reject) => (waiter = { resolve, reject }));
    // A rejection may come while `current` runs, before anything awaits `settled`.
    settled.catch(() => undefined);
    const set = this.waiting.get(key) ?? new Set();
    set.add(waiter);
    this.waiting.set(key, set);
    try {
      const now = await current();
      if (now !== null) waiter.resolve(now);
      return await settled;
    } finally {
      set.delete(waiter);
      if (set.size === 0 && this.waiting.get(key) === set) this.waiting.delete(key);
    }
  }

  resolve(key: string, value: T): void {
    for (const waiter of this.waiting.get(key) ?? []) waiter.resolve(value);
  }

  reject(key: string, error: Error): void {
    for (const waiter of this.waiting.get(key) ?? []) waiter.reject(error);
  }
}
