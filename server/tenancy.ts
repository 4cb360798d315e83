import type { Tenant } from '../contract/index.ts';
import { HttpError, notFound } from './errors.ts';

export type Role = 'user' | 'admin';

/** Who is asking: the tenant and role of the API key (server/plugins/auth.ts). */
export interface Principal {
  tenant: string;
  role: Role;
}

/** The tenant of a service run without keys, and the owner of records stored before tenancy. */
export const LOCAL_TENANT = 'local';
/** The principal of every request when no keys are configured: one local user who may do everything. */
export const LOCAL_PRINCIPAL: Principal = { tenant: LOCAL_TENANT, role: 'admin' };

/** A record's owner: its `tenant` field, `local` when it was stored before tenancy (never public by accident). */
export function ownerOf(record: { tenant?: Tenant }): Tenant {
  return record.tenant === undefined ? LOCAL_TENANT : record.tenant;
}

/** Admins read everything; a tenant reads its own and the public demos (owner null). */
export function canRead(viewer: Principal, owner: Tenant): boolean {
  return viewer.role === 'admin' || owner === null || owner === viewer.tenant;
}

/**
 * The record when the viewer may read it; another tenant's resource is a 404 like an unknown id,
 * so ids do not reveal what other tenants store.
 */
export function readable<R extends { tenant?: Tenant }>(viewer: Principal, record: R | undefined, what: string, id: string, field?: string): R {
  if (!record || !canRead(viewer, ownerOf(record))) throw notFound(what, id, field);
  return record;
}

/** The record when the viewer may change it (cancel, delete): 404 when unreadable, 403 for a public demo. */
export function writable<R extends { tenant?: Tenant }>(viewer: Principal, record: R | undefined, what: string, id: string): R {
  readable(viewer, record, what, id);
  if (ownerOf(record!) === null) throw new HttpError(403, 'READ_ONLY', `${what} "${id}" is a public demo and cannot be changed`);
  return record!;
}

/** The API acting on its own (a comparison's steps, reconciling at start): on work whose access was checked when it was admitted. */
export const SYSTEM_PRINCIPAL: Principal = { tenant: 'system', role: 'admin' };

/** The principal a resource's owner acts as in work the API does for it (a comparison's trainings and surfaces). */
export function ownerPrincipal(owner: Tenant): Principal {
  return { tenant: owner ?? LOCAL_TENANT, role: 'user' };
}
