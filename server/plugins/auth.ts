import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { refuse } from '../errors.ts';
import fp from 'fastify-plugin';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import type { AppConfig } from '../config.ts';
import { LOCAL_PRINCIPAL, type Principal } from '../tenancy.ts';

/** One configured key: only its SHA-256 is stored, with the tenant and role it grants. */
export const ApiKeyEntry = Type.Object(
  {
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Hex SHA-256 of the key (loss-atlas key prints it)' }),
    tenant: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  },
  { additionalProperties: false },
);
export type ApiKeyEntry = Static<typeof ApiKeyEntry>;
const ApiKeyList = Type.Array(ApiKeyEntry);

export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** A new random key and the entry to configure for it (the key itself is shown once and stored nowhere). */
export function newApiKey(tenant: string, role: Principal['role']): { key: string; entry: ApiKeyEntry } {
  const key = `la_${randomBytes(32).toString('base64url')}`;
  const entry = { sha256: hashApiKey(key), tenant, role };
  const error = Value.Errors(ApiKeyEntry, entry)[0];
  if (error) throw new Error(`tenant "${tenant}": ${error.message} (letters, digits, _ . -, at most 64)`);
  return { key, entry };
}

/**
 * The configured keys: `LA_API_KEYS` (a JSON array of entries) or the JSON file at
 * `LA_API_KEYS_FILE`, never both; a malformed list stops start-up with a message naming the variable.
 */
export function loadApiKeys(config: Pick<AppConfig, 'LA_API_KEYS' | 'LA_API_KEYS_FILE'>): ApiKeyEntry[] {
  if (config.LA_API_KEYS && config.LA_API_KEYS_FILE) throw new Error('set LA_API_KEYS or LA_API_KEYS_FILE, not both');
  const [source, text] = config.LA_API_KEYS_FILE
    ? [`LA_API_KEYS_FILE (${config.LA_API_KEYS_FILE})`, readKeysFile(config.LA_API_KEYS_FILE)]
    : ['LA_API_KEYS', config.LA_API_KEYS ?? ''];
  if (!text.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source} is not JSON: ${(err as Error).message}`);
  }
  const error = Value.Errors(ApiKeyList, parsed)[0];
  if (error) throw new Error(`${source}${error.instancePath.replace(/\//g, '.')} ${error.message}: expected [{"sha256": "<64 hex>", "tenant": "<name>", "role": "user" | "admin"}]`);
  return parsed as ApiKeyEntry[];
}

function readKeysFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`LA_API_KEYS_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** Without keys the service is open to whoever reaches it, so it may only listen on loopback. */
export function assertSafeBinding(host: string, keys: readonly ApiKeyEntry[]): void {
  if (keys.length === 0 && !isLoopbackHost(host)) {
    throw new Error(
      `refusing to listen on HOST=${host} without API keys: anyone who reaches it could use it. ` +
        'Configure keys (LA_API_KEYS or LA_API_KEYS_FILE; make one with `npx loss-atlas key --tenant <name>`) or bind HOST=127.0.0.1.',
    );
  }
}

/** Who may call a route: everyone (`public`), any key (default) or an admin key. */
export type RouteAccess = 'public' | 'key' | 'admin';

/** The cookie the viewer signs in with (POST /api/v1/session): browsers cannot set headers on EventSource. */
export const SESSION_COOKIE = 'la_session';

/** How a request presented its key. */
export type KeySource = 'header' | 'cookie';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal;
    /** Where the key came from (null: none sent, or no keys configured). */
    keySource: KeySource | null;
  }
  interface FastifyInstance {
    /** The principal a key grants, or undefined for an unknown key (always undefined without configured keys). */
    principalOfKey(key: string): Principal | undefined;
  }
}

/** Sets `access` on every route registered in `scope` (for routes that plugins such as the static server declare). */
export function routesAccess(scope: FastifyInstance, access: RouteAccess): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object), access };
  });
}

/** The key sent in a header, else in the session cookie; the headers win so a script's key is never shadowed by a browser's sign-in. */
function presentedKey(request: FastifyRequest): { key: string; source: KeySource } | undefined {
  const authorization = request.headers.authorization;
  if (authorization) return { key: /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim() ?? '', source: 'header' };
  const header = request.headers['x-api-key'];
  const headerKey = Array.isArray(header) ? header[0] : header;
  if (headerKey !== undefined) return { key: headerKey, source: 'header' };
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? { key: cookie, source: 'cookie' } : undefined;
}

/**
 * Sets `request.principal` from `Authorization: Bearer <key>`, `x-api-key` or the session cookie: 401 AUTH_REQUIRED
 * without a key, 401 INVALID_API_KEY for an unknown one, 403 ADMIN_ONLY for a user key on an
 * admin route. Without configured keys every request is the local admin.
 */
async function auth(app: FastifyInstance, { keys }: { keys: readonly ApiKeyEntry[] }): Promise<void> {
  const byHash = new Map(keys.map((entry) => [entry.sha256, { tenant: entry.tenant, role: entry.role } satisfies Principal]));
  app.decorate('principalOfKey', (key: string) => byHash.get(hashApiKey(key)));
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('keySource', null);
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config?.access ?? 'key';
    if (byHash.size === 0) {
      request.principal = LOCAL_PRINCIPAL;
      return;
    }
    const presented = presentedKey(request);
    const principal = presented?.key ? byHash.get(hashApiKey(presented.key)) : undefined;
    if (principal) request.keySource = presented!.source;
    if (access === 'public') {
      if (principal) request.principal = principal;
      return;
    }
    if (!presented?.key) {
      return refuse(reply.header('www-authenticate', 'Bearer'), 401, 'AUTH_REQUIRED', 'send an API key as "Authorization: Bearer <key>" or "x-api-key: <key>", or sign in (POST /api/v1/session)', 'authorization');
    }
    if (!principal) return refuse(reply.header('www-authenticate', 'Bearer error="invalid_token"'), 401, 'INVALID_API_KEY', 'the API key is not valid', 'authorization');
    request.principal = principal;
    if (access === 'admin' && principal.role !== 'admin') return refuse(reply, 403, 'ADMIN_ONLY', `${request.url.split('?')[0]} needs an admin key`, 'authorization');
  });
}

export default fp(auth, { name: 'auth', fastify: '5.x', dependencies: ['@fastify/cookie'] });
