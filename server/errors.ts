import type { FastifyReply } from 'fastify';

/** Coded HTTP errors: every 4xx names what was wrong (`field` for a request field or file). */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly field?: string;
  constructor(statusCode: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    this.field = field;
  }
}

export const notFound = (what: string, id: string, field?: string) =>
  new HttpError(field ? 400 : 404, `${what.toUpperCase()}_NOT_FOUND`, `${what} "${id}" does not exist`, field);
export const badRequest = (code: string, message: string, field: string) => new HttpError(400, code, message, field);

/**
 * Answers a coded error from a request hook (keys, hosts, cross-site posts) instead of throwing
 * it: a plugin with its own error handler (Bull Board's) would reshape a thrown error.
 */
export function refuse(reply: FastifyReply, status: 401 | 403, code: string, message: string, field: string): FastifyReply {
  return reply.status(status).send({ statusCode: status, code, error: status === 401 ? 'Unauthorized' : 'Forbidden', message, field });
}
