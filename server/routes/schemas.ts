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
