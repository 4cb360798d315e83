import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { HttpError } from '../errors.ts';
import { SESSION_COOKIE } from '../plugins/auth.ts';
import { errorResponses } from './schemas.ts';

const SignIn = Type.Object({ key: Type.String({ minLength: 1, maxLength: 512, description: 'An API key (as printed by `loss-atlas key`)' }) }, { additionalProperties: false });

const Role = Type.Union([Type.Literal('user'), Type.Literal('admin')]);
const SignedIn = Type.Object({ tenant: Type.String(), role: Role });
const Who = Type.Object({
  tenant: Type.String(),
  role: Role,
  session: Type.Boolean({ description: 'True when the key came from the sign-in cookie (the viewer then offers to sign out)' }),
});

/**
 * The viewer's sign-in: browsers cannot put a key in a header of an EventSource, so the key is
 * kept in an HttpOnly, SameSite=Strict cookie that every same-origin request (SSE included) carries.
 */
const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.services;
  const cookieOptions = (request: FastifyRequest): CookieSerializeOptions => ({
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: request.protocol === 'https',
  });

  app.post(
    '/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Sign in with an API key: sets the session cookie the viewer (and its event streams) send',
        body: SignIn,
        response: { 200: SignedIn, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = app.principalOfKey(request.body.key);
      if (!principal) throw new HttpError(401, 'INVALID_API_KEY', 'the API key is not valid', 'key');
      reply.setCookie(SESSION_COOKIE, request.body.key, { ...cookieOptions(request), maxAge: config.LA_SESSION_MAX_AGE_S });
      return { tenant: principal.tenant, role: principal.role };
    },
  );

  app.get(
    '/session',
    { schema: { tags: ['session'], summary: 'Who the request is: the tenant and role of its key (401 without one)', response: { 200: Who, ...errorResponses } } },
    async (request) => ({ tenant: request.principal.tenant, role: request.principal.role, session: request.keySource === 'cookie' }),
  );

  app.delete(
    '/session',
    { config: { access: 'public' }, schema: { tags: ['session'], summary: 'Sign out: clears the session cookie', response: { 204: Type.Null(), ...errorResponses } } },
    async (request, reply) => reply.clearCookie(SESSION_COOKIE, cookieOptions(request)).status(204).send(null),
  );
};

export default sessionRoutes;
