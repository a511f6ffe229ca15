import { DbError } from '../errors/db-error.js';
import { ACCESS_LIMITS, checkName, checkPrincipal, checkRole } from './access-names.js';

const fieldOf = (f: () => void): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof DbError ? e.field : 'not a DbError';
  }
  return undefined;
};

describe('access names', () => {
  test('names are 1-64 of [A-Za-z0-9_.-]', () => {
    expect(fieldOf(() => checkName('svc.billing-1_a', 'name'))).toBeUndefined();
    expect(fieldOf(() => checkName('', 'name'))).toBe('name');
    expect(fieldOf(() => checkName('a'.repeat(65), 'name'))).toBe('name');
    expect(fieldOf(() => checkName('a b', 'name'))).toBe('name');
  });

  test('roles: limits on permissions and description; patterns are exact, prefix* or *', () => {
    const p = { verbs: ['read' as const], collections: ['*', 'a*', 'exact'], locks: [], logs: [], accessControl: false };
    expect(fieldOf(() => checkRole({ name: 'r', description: '', permissions: [p] }))).toBeUndefined();
    expect(fieldOf(() => checkRole({ name: 'r', description: 'x'.repeat(ACCESS_LIMITS.description + 1), permissions: [] }))).toBe(
      'role.description',
    );
    expect(
      fieldOf(() => checkRole({ name: 'r', description: '', permissions: Array.from({ length: ACCESS_LIMITS.permissions + 1 }, () => p) })),
    ).toBe('role.permissions');
    expect(fieldOf(() => checkRole({ name: 'r', description: '', permissions: [{ ...p, logs: ['*a'] }] }))).toBe(
      'role.permissions[0].logs[0]',
    );
  });

  test('principals: role names, at most 20 certificate names of 1-1024 characters', () => {
    const ok = { name: 'p', roles: ['r'], certificateNames: ['CN=p'] };
    expect(fieldOf(() => checkPrincipal(ok))).toBeUndefined();
    expect(fieldOf(() => checkPrincipal({ ...ok, roles: ['r!'] }))).toBe('principal.roles[0]');
    expect(fieldOf(() => checkPrincipal({ ...ok, certificateNames: [''] }))).toBe('principal.certificate_names[0]');
    expect(fieldOf(() => checkPrincipal({ ...ok, certificateNames: Array.from({ length: 21 }, (_, i) => `CN=${i}`) }))).toBe(
      'principal.certificate_names',
    );
  });
});
