// What the user's role allows, from GET /api/v1/auth/me ("permissions"), so
// that the UI leaves out what the server would refuse with 403: "New", inline
// edit, archive, bulk actions, import and export. The server still decides;
// this only spares the user buttons that cannot work.
import type { Rec } from './api';
import type { Entity, Field } from './meta';

export type Action = 'read' | 'create' | 'edit' | 'delete' | 'export' | 'import';
export type Scope = 'none' | 'own' | 'team' | 'all';

export interface Permissions {
  role: string | null;
  is_admin: boolean;
  /** Whether personal fields (phone, e-mail, ...) come unmasked. */
  personal_data: boolean;
  entities: Record<string, Partial<Record<Action, Scope>>>;
}

/** The user's permissions, or null from a server that does not send them. */
export function permissionsOf(user: Rec | null | undefined): Permissions | null {
  const p = user?.permissions;
  return p && typeof p === 'object' && p.entities && typeof p.entities === 'object' ? (p as Permissions) : null;
}

/** The scope of an action on an entity. Without permissions (an older server)
 *  everything is offered as before, but admin-only entities to admins only. */
export function scopeOf(p: Permissions | null, e: Entity, a: Action, role?: string): Scope {
  if (!p) return a !== 'read' && a !== 'export' && a !== 'import' && e.admin_write && role !== 'admin' ? 'none' : 'all';
  if (p.is_admin) return 'all';
  return p.entities[e.name]?.[a] ?? 'none';
}

export function can(p: Permissions | null, e: Entity, a: Action, role?: string): boolean {
  return scopeOf(p, e, a, role) !== 'none';
}

/** Whether the action is offered on one record. With scope "own" only the records
 *  the user owns (a record shared with them for editing is the exception the UI
 *  cannot see cheaply); "team" is left to the server, which knows the teams. */
export function canOnRecord(p: Permissions | null, e: Entity, a: Action, rec: Rec, userId: number, role?: string): boolean {
  const s = scopeOf(p, e, a, role);
  if (s === 'none') return false;
  if (s === 'own' && e.fields.some((f) => f.name === 'owner_id')) return rec.owner_id === userId;
  return true;
}

/** Whether the user may give records to someone else (bulk assign): a scope of
 *  "own" lets one own records oneself only. */
export function canAssign(p: Permissions | null, e: Entity, role?: string): boolean {
  const s = scopeOf(p, e, 'edit', role);
  return s === 'team' || s === 'all';
}

/** A personal value the server masked (138****5678, j***@example.com): shown as
 *  text, never as a tel: or mailto: link. Known by the field (or the caller,
 *  `personal`) and the user's permission, and by the mask itself (from a server
 *  that sends no permissions). */
export function isMasked(p: Permissions | null, v: unknown, personal: boolean | Field | undefined): boolean {
  if (typeof v !== 'string') return false;
  const isPersonal = typeof personal === 'object' ? !!personal.personal : !!personal;
  if (p && isPersonal && !p.personal_data) return true;
  return v.includes('***');
}
