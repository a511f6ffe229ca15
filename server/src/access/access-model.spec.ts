import { ADMIN_ROLE, allows, allowsSome, matchesPattern, resourceText, type Permission, type Role } from './access-model.js';

const perm = (p: Partial<Permission>): Permission => ({ verbs: [], collections: [], locks: [], logs: [], accessControl: false, ...p });
const role = (...permissions: Permission[]): Role => ({ name: 'r', description: '', permissions });

describe('matchesPattern', () => {
  test.each([
    ['orders', 'orders', true],
    ['orders', 'orders2', false],
    ['orders', 'order', false],
    ['orders*', 'orders', true],
    ['orders*', 'orders-2026', true],
    ['orders*', 'order', false],
    ['*', 'anything', true],
    ['*', '', true],
    ['a*', '', false],
    ['o*s', 'o*s', true],
    ['o*s', 'orders', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(matchesPattern(pattern, name)).toBe(expected);
  });
});

describe('allows', () => {
  const reader = role(perm({ verbs: ['read'], collections: ['public*', 'docs'] }), perm({ verbs: ['lock'], locks: ['jobs/*'] }));

  test('a verb on a matching pattern of the right kind', () => {
    expect(allows([reader], 'read', { kind: 'collection', name: 'public-1' })).toBe(true);
    expect(allows([reader], 'read', { kind: 'collection', name: 'docs' })).toBe(true);
    expect(allows([reader], 'lock', { kind: 'lock', name: 'jobs/nightly' })).toBe(true);
  });

  test('not another verb, another name, or the same name of another kind', () => {
    expect(allows([reader], 'write', { kind: 'collection', name: 'docs' })).toBe(false);
    expect(allows([reader], 'read', { kind: 'collection', name: 'private' })).toBe(false);
    expect(allows([reader], 'read', { kind: 'log', name: 'docs' })).toBe(false);
    expect(allows([reader], 'read', { kind: 'lock', name: 'docs' })).toBe(false);
    expect(allows([reader], 'admin', { kind: 'access', name: '' })).toBe(false);
  });

  test('any role of several may allow; no roles allow nothing', () => {
    const writer = role(perm({ verbs: ['write'], collections: ['docs'] }));
    expect(allows([reader, writer], 'write', { kind: 'collection', name: 'docs' })).toBe(true);
    expect(allows([], 'read', { kind: 'collection', name: 'docs' })).toBe(false);
  });

  test('access control needs accessControl set', () => {
    const everything = role(perm({ verbs: ['admin'], collections: ['*'], locks: ['*'], logs: ['*'] }));
    expect(allows([everything], 'admin', { kind: 'access', name: '' })).toBe(false);
    expect(allows([role(perm({ verbs: ['admin'], accessControl: true }))], 'admin', { kind: 'access', name: '' })).toBe(true);
  });

  test('the built-in admin role allows every verb on every kind', () => {
    for (const verb of ['read', 'write', 'admin', 'lock', 'stream'] as const) {
      for (const kind of ['collection', 'lock', 'log', 'access'] as const)
        expect(allows([ADMIN_ROLE], verb, { kind, name: 'x' })).toBe(true);
    }
  });
});

describe('allowsSome', () => {
  test('true when some pattern of the kind carries the verb', () => {
    const r = role(perm({ verbs: ['write'], collections: ['uploads'] }), perm({ verbs: ['read'], logs: ['*'] }));
    expect(allowsSome([r], 'write', 'collection')).toBe(true);
    expect(allowsSome([r], 'write', 'log')).toBe(false);
    expect(allowsSome([r], 'read', 'collection')).toBe(false);
  });
});

test('resourceText names kind and name', () => {
  expect(resourceText({ kind: 'collection', name: 'orders' })).toBe('collection:orders');
  expect(resourceText({ kind: 'access', name: '' })).toBe('access');
});
