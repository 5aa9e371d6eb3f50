import { describe, expect, it } from 'vitest';
import metaFixture from './meta.fixture.json';
import type { Entity, Meta } from './meta';
import { can, canAssign, canOnRecord, isMasked, permissionsOf, scopeOf, type Permissions } from './permissions';
import { dataLinks } from './nav';

const meta = metaFixture as unknown as Meta;
const ent = (n: string) => meta.entities.find((e) => e.name === n)! as Entity;
const field = (e: string, f: string) => ent(e).fields.find((x) => x.name === f)!;

// As GET /auth/me sends them for the built-in sales rep and analyst (src/domain/security.c).
const rep: Permissions = {
  role: 'sales_rep', is_admin: false, personal_data: true,
  entities: {
    contacts: { read: 'own', create: 'all', edit: 'own', delete: 'own', export: 'none', import: 'none' },
    opportunities: { read: 'own', create: 'all', edit: 'own', delete: 'own', export: 'none', import: 'none' },
    users: { read: 'all', create: 'none', edit: 'none', delete: 'none', export: 'none', import: 'none' },
  },
};
const manager: Permissions = { ...rep, role: 'sales_manager', entities: { contacts: { read: 'team', create: 'all', edit: 'team', delete: 'team', export: 'team', import: 'all' } } };
const analyst: Permissions = {
  role: 'analyst', is_admin: false, personal_data: false,
  entities: { contacts: { read: 'all', create: 'none', edit: 'none', delete: 'none', export: 'all', import: 'none' } },
};
const admin: Permissions = { role: 'admin', is_admin: true, personal_data: true, entities: {} };

describe('permissions from /auth/me', () => {
  it('are read from the user record, and absent from an older server', () => {
    expect(permissionsOf({ id: 1, version: 1, permissions: rep })).toBe(rep);
    expect(permissionsOf({ id: 1, version: 1 })).toBeNull();
    expect(permissionsOf({ id: 1, version: 1, permissions: 'x' })).toBeNull();
    expect(permissionsOf(null)).toBeNull();
  });
  it('give each action its scope; an entity or action not named is none; an admin may do all', () => {
    expect(scopeOf(rep, ent('contacts'), 'edit')).toBe('own');
    expect(scopeOf(rep, ent('contacts'), 'export')).toBe('none');
    expect(scopeOf(rep, ent('accounts'), 'read')).toBe('none');
    expect(can(analyst, ent('contacts'), 'read')).toBe(true);
    expect(can(analyst, ent('contacts'), 'create')).toBe(false);
    expect(can(analyst, ent('contacts'), 'delete')).toBe(false);
    expect(can(admin, ent('users'), 'create')).toBe(true);
  });
  it('without permissions offer everything but admin-only entities to non-admins, as before', () => {
    expect(can(null, ent('contacts'), 'edit', 'sales_rep')).toBe(true);
    expect(can(null, ent('users'), 'create', 'sales_rep')).toBe(false);
    expect(can(null, ent('users'), 'read', 'sales_rep')).toBe(true);
    expect(can(null, ent('users'), 'create', 'admin')).toBe(true);
  });
  it('offer an "own" action on the user\'s own records only, and leave "team" to the server', () => {
    const mine = { id: 1, version: 1, owner_id: 7 }, theirs = { id: 2, version: 1, owner_id: 8 };
    expect(canOnRecord(rep, ent('contacts'), 'edit', mine, 7)).toBe(true);
    expect(canOnRecord(rep, ent('contacts'), 'edit', theirs, 7)).toBe(false);
    expect(canOnRecord(rep, ent('contacts'), 'delete', theirs, 7)).toBe(false);
    expect(canOnRecord(manager, ent('contacts'), 'edit', theirs, 7)).toBe(true);
    expect(canOnRecord(analyst, ent('contacts'), 'edit', mine, 7)).toBe(false);
    expect(canOnRecord(admin, ent('contacts'), 'edit', theirs, 7)).toBe(true);
  });
  it('let only team- and all-scoped roles give records to others', () => {
    expect(canAssign(rep, ent('contacts'))).toBe(false);
    expect(canAssign(manager, ent('contacts'))).toBe(true);
    expect(canAssign(analyst, ent('contacts'))).toBe(false);
  });
  it('offer import and the duplicate finder only to roles that can use them', () => {
    const may = (p: Permissions) => (e: Entity, a: Parameters<typeof can>[2]) => can(p, e, a);
    expect(dataLinks(meta.entities, may(analyst)).map(([h]) => h)).toEqual([]);
    expect(dataLinks(meta.entities, may(rep)).map(([h]) => h)).toEqual(['/data/duplicates']);
    expect(dataLinks(meta.entities, may(manager)).map(([h]) => h)).toEqual(['/data/import', '/data/duplicates']);
  });
});

describe('masked personal values', () => {
  const mobile = field('contacts', 'mobile'), email = field('contacts', 'email'), name = field('contacts', 'name');
  it('are known by the field and the role', () => {
    expect(isMasked(analyst, '138****5678', mobile)).toBe(true);
    expect(isMasked(analyst, 'j***@example.com', email)).toBe(true);
    expect(isMasked(rep, '13812345678', mobile)).toBe(false);
    expect(isMasked(analyst, '张三', name)).toBe(false);
  });
  it('and by the mask itself when the server sends no permissions', () => {
    expect(isMasked(null, '138****5678', mobile)).toBe(true);
    expect(isMasked(null, '****', mobile)).toBe(true);
    expect(isMasked(null, '+86 138 1234 5678', mobile)).toBe(false);
    expect(isMasked(null, null, mobile)).toBe(false);
  });
});
