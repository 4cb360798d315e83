import { Type, type Static } from 'typebox';

/**
 * The tenant a stored resource belongs to. `null`: a fixture or public demo, readable by every
 * tenant and changed by none. Records stored before tenancy have no field and belong to the
 * `local` tenant (see server/tenancy.ts), so nothing private becomes public when keys are added.
 */
export const Tenant = Type.Union([Type.String(), Type.Null()], { description: 'Owning tenant; null for the public demos (read-only, listed for everyone)' });
export type Tenant = Static<typeof Tenant>;
export const TenantField = { tenant: Type.Optional(Tenant) };
