import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { readEventFields, TERMINAL_EVENTS, type SurfaceEvent, type TrainingEvent } from '../contract/index.ts';

const STREAM_ID = /^\d+-\d+$/;
/** How long one XREAD blocks before a keep-alive comment is sent. */
const BLOCK_MS = 10_000;

export interface EventSource {
  /** Redis stream of SurfaceEvent or TrainingEvent entries (contract/queue.ts eventFields). */
  streamKey: string;
  /** How the job ended, when it has: sent alone if the stream is gone (expired, Redis restarted). */
  ending: SurfaceEvent | TrainingEvent | null;
  /** The ?lastEventId= query parameter (EventsQuery); a Last-Event-ID header takes precedence. */
  lastEventId?: string;
}

/**
 * Relays a job's Redis event stream as server-sent events until a terminal event (done, failed,
 * cancelled), or an `error` event when Redis cannot be reached. Event ids are stream ids, so
 * Last-Event-ID (or ?lastEventId=) resumes after one.
 */
export async function relayEvents(redis: Redis, request: FastifyRequest, reply: FastifyReply, source: EventSource): Promise<void> {
  const header = request.headers['last-event-id'];
  let lastId = (typeof header === 'string' && STREAM_ID.test(header) ? header : undefined) ?? source.lastEventId ?? '0-0';

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write('retry: 2000\n\n');
  // XREAD BLOCK holds its connection, so every client reads on its own. It does not reconnect:
  // a stream that loses Redis ends with an error event (the client reconnects with Last-Event-ID
  // and resumes once Redis is back) instead of hanging on a read that never returns.
  const reader = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, retryStrategy: () => null });
  reader.on('error', () => undefined); // each refused connection also rejects the read, handled below
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    reader.disconnect();
    raw.end();
  };
  const send = ({ event, data }: { event: string; data: unknown }) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  request.raw.on('close', close);

  try {
    // A finished job whose stream is gone (expired, Redis restarted or away): its ending, from disk.
    if (source.ending && !(await redis.exists(source.streamKey).catch(() => 0))) {
      send(source.ending);
      return close();
    }
    while (open) {
      const entries = (await reader.xread('COUNT', 200, 'BLOCK', BLOCK_MS, 'STREAMS', source.streamKey, lastId)) as [string, [string, string[]][]][] | null;
      if (!entries) {
        raw.write(': keep-alive\n\n');
        continue;
      }
      for (const [entryId, fields] of entries[0]![1]) {
        const { event, data } = readEventFields(fields);
        raw.write(`id: ${entryId}\nevent: ${event}\ndata: ${data}\n\n`);
        lastId = entryId;
        if (TERMINAL_EVENTS.includes(event)) return close();
      }
    }
  } catch (err) {
    if (open) {
      request.log.warn({ err }, 'event stream lost Redis');
      send({ event: 'error', data: { code: 'REDIS_UNAVAILABLE', message: 'the job store (Redis) cannot be reached; reconnect with Last-Event-ID to resume' } });
    }
    close();
  }
}
