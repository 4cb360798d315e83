import { pino, type Logger } from 'pino';
import type { WorkerConfig } from './config.ts';

/** The worker's logger: one JSON line per event, with the process id; never the Redis password. */
export function workerLog(config: WorkerConfig): Logger {
  return pino({ level: config.LOG_LEVEL, base: { pid: process.pid, role: 'worker' } });
}
