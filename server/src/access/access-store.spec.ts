import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DbError } from '../errors/db-error.js';
import { AccessStore, type ApiKeyRecord } from './access-store.js';

const record = (id: string, principal = 'p'): ApiKeyRecord => ({ id, principal, secretSha256: 'ab', createTimeMs: 1, revoked: false });

describe('AccessStore', () => {
  test('a key id is created once: a second create of the same id writes nothing', async () => {
    const blobs = new MemoryBlobStore();
    const store = new AccessStore(blobs);
    expect(await store.createKey(record('0000000000000001', 'first'))).toBe(true);
    expect(await store.createKey(record('0000000000000001', 'second'))).toBe(false);
    expect((await store.getKey('0000000000000001'))?.principal).toBe('first');
  });

  test('concurrent revocations through two stores on one storage all end revoked, and nothing else changes', async () => {
    const blobs = new MemoryBlobStore();
    const a = new AccessStore(blobs);
    const b = new AccessStore(blobs);
    await a.createKey(record('0000000000000002'));
    const results = await Promise.all([a.revokeKey('0000000000000002'), b.revokeKey('0000000000000002'), a.revokeKey('0000000000000002')]);
    for (const r of results) expect(r).toMatchObject({ revoked: true, principal: 'p', secretSha256: 'ab' });
    expect(await a.revokeKey('0000000000000009')).toBeUndefined();
  });

  test('listing pages in name order and lists everything with all*', async () => {
    const store = new AccessStore(new MemoryBlobStore());
    for (const n of ['c', 'a', 'b']) await store.putPrincipal({ name: n, roles: [], certificateNames: [] });
    const first = await store.listPrincipals(2);
    expect(first.items.map((p) => p.name)).toEqual(['a', 'b']);
    expect(first.last).toBe('b');
    const second = await store.listPrincipals(2, first.last);
    expect(second).toEqual({ items: [{ name: 'c', roles: [], certificateNames: [] }] });
    expect((await store.allPrincipals()).map((p) => p.name)).toEqual(['a', 'b', 'c']);
  });

  test('a record that is not JSON is an INTERNAL error naming its key', async () => {
    const blobs = new MemoryBlobStore();
    await blobs.put('_access/roles/broken', new TextEncoder().encode('{nope'));
    const err = await new AccessStore(blobs).getRole('broken').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect(err).toMatchObject({ kind: 'internal', metadata: { key: '_access/roles/broken' } });
  });
});
