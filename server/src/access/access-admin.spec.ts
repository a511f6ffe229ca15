import { randomBytes } from 'node:crypto';
import { ManualClock } from '../common/manual-clock.js';
import { DbError } from '../errors/db-error.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { AccessAdmin } from './access-admin.js';
import { AccessCache } from './access-cache.js';
import { AccessStore } from './access-store.js';
import { hashSecret, parseKey } from './api-key.js';

const random = { random: () => 0.5, bytes: (n: number) => new Uint8Array(randomBytes(n)) };

function setup() {
  const blobs = new MemoryBlobStore();
  const clock = new ManualClock({ startMs: 1_700_000_000_000 });
  const store = new AccessStore(blobs);
  const admin = new AccessAdmin({ store, cache: new AccessCache({ store, clock, maxAgeMs: 5000 }), clock, random });
  return { blobs, admin, clock };
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DbError) return `${e.kind}/${e.reason}`;
    throw e;
  }
  return 'ok';
}

const role = (name: string) => ({
  name,
  description: 'd',
  permissions: [{ verbs: ['read' as const], collections: ['a*'], locks: [], logs: [], accessControl: false }],
});

describe('AccessAdmin keys', () => {
  test('a created key is stored by id with the SHA-256 of its secret, never the secret', async () => {
    const { admin, blobs } = setup();
    const { record, token } = await admin.createKey('svc');
    const parsed = parseKey(token)!;
    expect(record.id).toBe(parsed.id);
    const stored = new TextDecoder().decode((await blobs.get(`_access/keys/${record.id}`))!.body);
    expect(stored).not.toContain(parsed.secret);
    expect(JSON.parse(stored)).toMatchObject({ principal: 'svc', secretSha256: hashSecret(parsed.secret), revoked: false });
  });

  test('listing pages through keys by id and filters by principal', async () => {
    const { admin } = setup();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await admin.createKey(i % 2 === 0 ? 'even' : 'odd')).record.id);
    const seen: string[] = [];
    let token = '';
    do {
      const page = await admin.listKeys(2, token, '');
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((k) => k.id));
      token = page.nextPageToken;
    } while (token !== '');
    expect(seen).toEqual([...ids].sort());
    expect((await admin.listKeys(0, '', 'odd')).items.map((k) => k.principal)).toEqual(['odd', 'odd']);
    expect(await reasonOf(admin.listKeys(0, 'not!a!token', ''))).toBe('invalid/INVALID_PAGE_TOKEN');
  });

  test('revoking marks the key revoked; an unknown key is ACCESS_NOT_FOUND; an expiry in the past is refused', async () => {
    const { admin, clock } = setup();
    const { record } = await admin.createKey('svc');
    expect((await admin.revokeKey(record.id)).revoked).toBe(true);
    expect((await admin.revokeKey(record.id)).revoked).toBe(true);
    expect(await reasonOf(admin.revokeKey('0000000000000000'))).toBe('not_found/ACCESS_NOT_FOUND');
    expect(await reasonOf(admin.revokeKey('xyz'))).toBe('invalid/INVALID_ARGUMENT');
    expect(await reasonOf(admin.createKey('svc', clock.now()))).toBe('invalid/INVALID_ARGUMENT');
    expect(await reasonOf(admin.createKey('bad name'))).toBe('invalid/INVALID_ARGUMENT');
  });
});

describe('AccessAdmin roles and principals', () => {
  test('roles are stored, listed after the built-in admin, and deleted', async () => {
    const { admin } = setup();
    await admin.putRole(role('r1'));
    await admin.putRole(role('r2'));
    expect((await admin.getRole('r1')).permissions[0]?.collections).toEqual(['a*']);
    expect((await admin.listRoles(0, '')).items.map((r) => r.name)).toEqual(['admin', 'r1', 'r2']);
    expect(await admin.deleteRole('r1')).toBe(true);
    expect(await admin.deleteRole('r1')).toBe(false);
    expect(await reasonOf(admin.getRole('r1'))).toBe('not_found/ACCESS_NOT_FOUND');
  });

  test('the built-in admin role cannot be replaced or deleted, and is always found', async () => {
    const { admin } = setup();
    expect(await reasonOf(admin.putRole(role('admin')))).toBe('invalid/INVALID_ARGUMENT');
    expect(await reasonOf(admin.deleteRole('admin'))).toBe('invalid/INVALID_ARGUMENT');
    expect((await admin.getRole('admin')).permissions[0]?.accessControl).toBe(true);
  });

  test('invalid roles are refused with the field at fault', async () => {
    const { admin } = setup();
    const bad = async (r: Parameters<AccessAdmin['putRole']>[0]): Promise<string | undefined> => {
      try {
        await admin.putRole(r);
      } catch (e) {
        return e instanceof DbError ? e.field : undefined;
      }
      return 'accepted';
    };
    expect(await bad({ ...role('r'), permissions: [{ ...role('r').permissions[0]!, verbs: [] }] })).toBe('role.permissions[0].verbs');
    expect(await bad({ ...role('r'), permissions: [{ ...role('r').permissions[0]!, collections: ['a*b'] }] })).toBe(
      'role.permissions[0].collections[0]',
    );
    expect(await bad({ ...role('r'), permissions: [{ ...role('r').permissions[0]!, locks: ['**'] }] })).toBe(
      'role.permissions[0].locks[0]',
    );
    expect(await bad({ ...role('r/x') })).toBe('role.name');
  });

  test('a principal may name only roles that exist (or admin)', async () => {
    const { admin } = setup();
    expect(await reasonOf(admin.setPrincipal({ name: 'p', roles: ['nope'], certificateNames: [] }))).toBe('not_found/ACCESS_NOT_FOUND');
    await admin.putRole(role('r1'));
    await admin.setPrincipal({ name: 'p', roles: ['r1', 'admin'], certificateNames: ['CN=p'] });
    expect(await admin.getPrincipal('p')).toEqual({ name: 'p', roles: ['r1', 'admin'], certificateNames: ['CN=p'] });
    expect((await admin.listPrincipals(0, '')).items.map((p) => p.name)).toEqual(['p']);
    expect(await reasonOf(admin.getPrincipal('q'))).toBe('not_found/ACCESS_NOT_FOUND');
  });
});
