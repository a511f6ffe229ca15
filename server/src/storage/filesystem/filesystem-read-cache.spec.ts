import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionFailedError } from '../blob-store.js';
import { FilesystemBlobStore, filesystemEtag } from './filesystem-store.js';

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());

describe('FilesystemBlobStore read cache', () => {
  let root: string;
  const stores: FilesystemBlobStore[] = [];
  const open = async (readCacheBytes?: number): Promise<FilesystemBlobStore> => {
    const s = await FilesystemBlobStore.open({ root, readCacheBytes });
    stores.push(s);
    return s;
  };
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sb-fs-cache-'));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await rm(root, { recursive: true, force: true });
  });

  it('serves reads of its own writes from memory; readCacheBytes 0 reads the file every time', async () => {
    const cached = await open();
    await cached.put('docs/c/a', Buffer.from('v1'));
    // Changing the file behind the store's back (unsupported) shows where reads come from.
    await writeFile(join(root, 'docs/c/a'), 'behind');
    expect(text((await cached.get('docs/c/a'))?.body)).toBe('v1');
    expect((await cached.head('docs/c/a'))?.etag).toBe(filesystemEtag(Buffer.from('v1')));

    const uncached = await open(0);
    expect(text((await uncached.get('docs/c/a'))?.body)).toBe('behind');
    await uncached.put('docs/c/b', Buffer.from('v1'));
    await writeFile(join(root, 'docs/c/b'), 'behind');
    expect(text((await uncached.get('docs/c/b'))?.body)).toBe('behind');
    expect(uncached.readCache).toEqual({ entries: 0, bytes: 0 });
  });

  it('fills on a miss, and hands out copies: mutating a returned body changes nothing', async () => {
    await (await open()).put('k', Buffer.from('abc'));
    const store = await open(); // a fresh instance: cold cache
    const first = await store.get('k');
    expect(store.readCache.entries).toBe(1);
    first!.body[0] = 0x7a;
    expect(text((await store.get('k'))?.body)).toBe('abc');
    const body = Buffer.from('xyz');
    await store.put('k', body);
    body[0] = 0x41;
    expect(text((await store.get('k'))?.body)).toBe('xyz');
  });

  it('stays within its byte bound, evicting least recently used entries, and reads stay correct', async () => {
    const store = await open(10_000);
    const bodyOf = (i: number) => Buffer.from(`${i}:`.padEnd(1000, 'x'));
    for (let i = 0; i < 40; i++) await store.put(`docs/c/${i}`, bodyOf(i));
    expect(store.readCache.bytes).toBeLessThanOrEqual(10_000);
    expect(store.readCache.entries).toBeGreaterThan(0);
    expect(store.readCache.entries).toBeLessThan(40);
    for (let i = 0; i < 40; i++) expect(text((await store.get(`docs/c/${i}`))?.body)).toBe(bodyOf(i).toString());
  });

  it('delete and conditional writes see the cached current version', async () => {
    const store = await open();
    const { etag } = await store.put('k', Buffer.from('v1'));
    await expect(store.put('k', Buffer.from('v2'), { ifNoneMatch: true })).rejects.toBeInstanceOf(ConditionFailedError);
    const v2 = await store.put('k', Buffer.from('v2'), { ifMatch: etag });
    await expect(store.delete('k', { ifMatch: etag })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await store.delete('k', { ifMatch: v2.etag })).toBe(true);
    expect(await store.get('k')).toBeUndefined();
    expect(store.readCache.entries).toBe(0);
    await store.put('k', Buffer.from('v3'), { ifNoneMatch: true });
    expect(text((await store.get('k'))?.body)).toBe('v3');
  });

  it('a cold-cache read racing a write never leaves the older version cached', async () => {
    const entry = 'vNN'.length + 'hot'.length * 2 + 96;
    const store = await open(entry); // room for exactly one entry
    for (let i = 0; i < 40; i++) {
      await store.put('hot', Buffer.from(`v${String(i).padStart(2, '0')}`));
      await store.put('oth', Buffer.from('xxx')); // evicts 'hot'
      const next = `v${String(i + 1).padStart(2, '0')}`;
      const [read] = await Promise.all([store.get('hot'), store.put('hot', Buffer.from(next))]);
      expect([`v${String(i).padStart(2, '0')}`, next]).toContain(text(read?.body));
      expect(text((await store.get('hot'))?.body)).toBe(next);
    }
  });

  it('concurrent readers never see a version older than the last write completed before they started', async () => {
    // A small cache and a noise writer force a mix of hits, evictions and misses.
    const store = await open(2 * (8 + 2 * 8 + 96));
    const writes = 150;
    let completed = -1;
    let writing = true;
    const violations: string[] = [];
    const writer = (async () => {
      for (let v = 0; v < writes; v++) {
        await store.put('doc/hot', Buffer.from(String(v).padStart(8, '0')));
        completed = v;
      }
      writing = false;
    })();
    const noise = (async () => {
      for (let i = 0; writing; i++) await store.put(`doc/n${i % 3}`, Buffer.from(String(i).padStart(8, '0')));
    })();
    let reads = 0;
    const reader = async (): Promise<void> => {
      while (writing) {
        const floor = completed;
        const blob = await store.get('doc/hot');
        reads++;
        const seen = blob === undefined ? -1 : Number(text(blob.body));
        if (seen < floor) violations.push(`read v${seen} after v${floor} completed`);
        if (blob !== undefined && blob.etag !== filesystemEtag(blob.body)) violations.push(`etag of v${seen} wrong`);
        // Cache hits complete without I/O: let the event loop run now and then so writers progress.
        if (reads % 16 === 0) await new Promise((r) => setImmediate(r));
      }
    };
    await Promise.all([writer, noise, ...Array.from({ length: 8 }, reader)]);
    expect(violations).toEqual([]);
    expect(reads).toBeGreaterThan(writes);
    expect(text((await store.get('doc/hot'))?.body)).toBe(String(writes - 1).padStart(8, '0'));
  });
});
