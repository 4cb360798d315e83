/**
 * Polls `read` every `intervalMs` until it gives a value (anything but null, undefined or false)
 * and returns it; after `timeoutMs` fails naming `what`, a function when the message should
 * describe the last state seen. The one polling loop of the integration tests.
 */
export async function until<T>(
  what: string | (() => string),
  read: () => Promise<T | null | undefined | false>,
  { timeoutMs = 300_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
