import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AppConfig } from '../config.ts';
import { refuse } from '../errors.ts';
import { isLoopbackHost } from './auth.ts';

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
/** The bodies a browser form (or a fetch without a CORS preflight) can send to any site. */
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

const list = (value: string): string[] => value.split(',').map((item) => item.trim()).filter(Boolean);

/** Host names accepted in the Host header; empty: any (bound to a public address, where a proxy or DNS decides). */
export function allowedHosts(config: Pick<AppConfig, 'HOST' | 'LA_ALLOWED_HOSTS'>): string[] {
  const configured = list(config.LA_ALLOWED_HOSTS).map((host) => host.toLowerCase());
  return configured.length > 0 ? configured : isLoopbackHost(config.HOST) ? LOOPBACK_HOSTS : [];
}

/** The Host header without its port ("[::1]:8080" → "[::1]"). */
const hostName = (host: string): string => host.toLowerCase().replace(/^(\[[^\]]*\]|[^:]*)(:\d+)?$/, '$1');

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Guards against a browser being turned on the API: CORS closed unless LA_CORS_ORIGINS names
 * origins; a Host allow-list against DNS rebinding (a page on attacker.example resolving to
 * 127.0.0.1); and a 403 for cross-site form posts (a form or a preflight-free fetch from
 * another site, which CORS does not stop from being sent).
 */
async function httpGuards(app: FastifyInstance, { config }: { config: AppConfig }): Promise<void> {
  const origins = list(config.LA_CORS_ORIGINS);
  await app.register(cors, { origin: origins.length > 0 ? origins : false });
  const hosts = allowedHosts(config);
  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host;
    if (hosts.length > 0 && !(host && hosts.includes(hostName(host)))) {
      return refuse(reply, 403, 'HOST_NOT_ALLOWED', `Host "${host ?? ''}" is not served here (allowed: ${hosts.join(', ')}; set LA_ALLOWED_HOSTS)`, 'host');
    }
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!FORM_TYPES.has(type)) return;
    const origin = request.headers.origin;
    const crossSite = request.headers['sec-fetch-site'] === 'cross-site' || (origin !== undefined && !sameOrigin(origin, host) && !origins.includes(origin));
    if (crossSite) return refuse(reply, 403, 'CROSS_SITE_POST', `a ${type} post from ${origin ?? 'another site'} is refused (same origin or LA_CORS_ORIGINS only)`, 'origin');
  });
}

export default fp(httpGuards, { name: 'http-guards', fastify: '5.x' });
