export interface SseEvent {
  id: string;
  event: string;
  data: string;
  /** performance.now() when the event was read (bench/progressive.ts times the levels by it). */
  at: number;
}

const TERMINAL = new Set(['done', 'failed', 'cancelled']);

/** Reads a server-sent event stream until a terminal event (done/failed/cancelled) or the timeout. */
export async function readEvents(url: string, options: { lastEventId?: string; timeoutMs?: number } = {}): Promise<SseEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 120_000);
  try {
    const response = await fetch(url, { headers: options.lastEventId ? { 'last-event-id': options.lastEventId } : {}, signal: controller.signal });
    if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
    return await readEventStream(response);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** The events of an SSE response already open, until a terminal event or the end of the stream. */
export async function readEventStream(response: Response): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body!.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { id: '', event: 'message', data: '', at: performance.now() };
        let hasData = false;
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          if (colon === 0) continue;
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') event.id = value;
          else if (field === 'event') event.event = value;
          else if (field === 'data') {
            event.data += (hasData ? '\n' : '') + value;
            hasData = true;
          }
        }
        if (!hasData) continue;
        events.push(event);
        if (TERMINAL.has(event.event)) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}
