import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';

export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED, MODEL_NOT_FOUND' }),
    error: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String({ description: 'The request field or uploaded file at fault' })),
  },
  { $id: 'ErrorBody' },
);

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
};

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** Query of an SSE route: resume after this stream id (as the Last-Event-ID header does). */
export const EventsQuery = Type.Object({ lastEventId: Type.Optional(Type.String({ pattern: '^\\d+-\\d+$' })) });

/** 202 of a queued surface: where to follow it and fetch it. */
export const SurfaceAccepted = Type.Object({
  id: Type.String(),
  status: Type.String(),
  links: Type.Object({ self: Type.String(), events: Type.String(), result: Type.String() }),
});

/** Answers 202 with the surface's links and its Location. */
export function acceptedSurface(reply: FastifyReply, record: { id: string; status: string }) {
  const self = `/api/v1/surfaces/${record.id}`;
  return reply
    .status(202)
    .header('location', self)
    .send({ id: record.id, status: record.status, links: { self, events: `${self}/events`, result: `${self}/result` } });
}

/** 202 of a queued direction ensemble (POST /api/v1/surfaces with directions.ensemble ≥ 2). */
export const EnsembleAccepted = Type.Object({
  id: Type.String(),
  kind: Type.Literal('ensemble'),
  status: Type.String(),
  k: Type.Integer(),
  links: Type.Object({ self: Type.String(), statistics: Type.String(), members: Type.Array(Type.String({ description: "A member's surface" })) }),
});

/** Answers 202 with the ensemble's links and its Location. */
export function acceptedEnsemble(reply: FastifyReply, record: { id: string; status: string; k: number; links: { self: string; statistics: string; members: string[] } }) {
  return reply.status(202).header('location', record.links.self).send({ id: record.id, kind: 'ensemble', status: record.status, k: record.k, links: record.links });
}
