import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionFailedError } from '../blob-store.js';
import { FilesystemBlobStore, filesystemEtag } from './filesystem-store.js';
import { FS_TMP_DIR } from './key-path.js';

describe('FilesystemBlobStore', () => {
  let root: string;
  let store: FilesystemBlobStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sb-fs-'));
    store = await FilesystemBlobStore.open({ root });
  });
  afterEach(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('stores key a/b/c as the file <root>/a/b/c with etag = first 32 hex of sha256', async () => {
    const body = Buffer.from('{"x":1}');
    const meta = await store.put('docs/users/u1', body);
    expect(meta.etag).toBe(filesystemEtag(body));
    expect(meta.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(await readdir(join(root, 'docs', 'users'))).toEqual(['u1']);
  });

  it('survives a reopen (the data is on disk) and leaves no temp files behind', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(`docs/c/${i}`, Buffer.from(`${i}`))));
    const reopened = await FilesystemBlobStore.open({ root });
    expect((await reopened.list({ prefix: 'docs/', limit: 100 })).keys).toHaveLength(10);
    expect(await readdir(join(root, FS_TMP_DIR))).toEqual([]);
  });

  it('never lists the temp dir, even with an empty prefix and a stray temp file', async () => {
    await writeFile(join(root, FS_TMP_DIR, 'stray'), 'x');
    await store.put('a', Buffer.from('1'));
    expect(await store.list({ prefix: '', limit: 100 })).toEqual({ keys: ['a'], isTruncated: false });
  });

  it('rejects escaping keys with invalid INVALID_ID and writes nothing', async () => {
    await expect(store.put('../escape', Buffer.from('x'))).rejects.toMatchObject({ kind: 'invalid', reason: 'INVALID_ID' });
    await expect(store.get('docs/../../x')).rejects.toMatchObject({ reason: 'INVALID_ID' });
    expect(await readdir(join(root, '..'))).not.toContain('escape');
  });

  it('a key that is also a "directory" of other keys is refused as invalid', async () => {
    await store.put('docs/a/b', Buffer.from('1'));
    await expect(store.put('docs/a', Buffer.from('2'))).rejects.toMatchObject({ kind: 'invalid', reason: 'INVALID_ID' });
    await store.put('docs/f', Buffer.from('3'));
    await expect(store.put('docs/f/g', Buffer.from('4'))).rejects.toMatchObject({ kind: 'invalid', reason: 'INVALID_ID' });
    expect(await store.get('docs/a')).toBeUndefined();
    expect(await store.delete('docs/a')).toBe(false);
  });

  it('conditional delete on a missing key fails', async () => {
    await expect(store.delete('docs/c/none', { ifMatch: 'x' })).rejects.toBeInstanceOf(ConditionFailedError);
  });

  it('ConditionFailedError carries the current etag', async () => {
    const meta = await store.put('k', Buffer.from('1'));
    const err = await store.put('k', Buffer.from('2'), { ifNoneMatch: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ key: 'k', currentEtag: meta.etag });
  });

  it('50 unconditional puts racing 50 CAS puts on one etag: every unconditional put lands, at most one CAS wins', async () => {
    const base = await store.put('k', Buffer.from('base'));
    const results = await Promise.allSettled([
      ...Array.from({ length: 50 }, (_, i) => store.put('k', Buffer.from(`u${i}`))),
      ...Array.from({ length: 50 }, (_, i) => store.put('k', Buffer.from(`c${i}`), { ifMatch: base.etag })),
    ]);
    const casWins = results.slice(50).filter((r) => r.status === 'fulfilled');
    expect(casWins.length).toBeLessThanOrEqual(1);
    expect(results.slice(0, 50).every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('an aborted signal → cancelled; a closed store → unavailable', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(store.put('k', Buffer.from('1'), undefined, ac.signal)).rejects.toMatchObject({ kind: 'cancelled' });
    expect(await store.head('k')).toBeUndefined();
    await store.close();
    await expect(store.get('k')).rejects.toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
  });

  it('list rejects a limit outside 1..1000', async () => {
    await expect(store.list({ prefix: '', limit: 0 })).rejects.toMatchObject({ kind: 'invalid' });
  });
});
