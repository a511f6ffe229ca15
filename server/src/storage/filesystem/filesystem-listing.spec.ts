/**
 * Listing pages of the filesystem store against a reference model: order,
 * prefix, startAfter, writes and deletes during a listing, a bounded index,
 * and a restart over a data directory changed behind the store's back (what a
 * crash between a file operation and the in-memory index update leaves).
 */
import fc from 'fast-check';
import { mkdtemp, rm, unlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareUtf8 } from '../../common/utf8-order.js';
import type { BlobStore } from '../blob-store.js';
import { FilesystemBlobStore } from './filesystem-store.js';

/** Every key under `prefix`, paged with `pageSize` from `startAfter`. */
async function listAll(store: BlobStore, prefix: string, pageSize: number, startAfter?: string): Promise<string[]> {
  const keys: string[] = [];
  let after = startAfter;
  for (;;) {
    const page = await store.list({ prefix, limit: pageSize, ...(after === undefined ? {} : { startAfter: after }) });
    keys.push(...page.keys);
    if (!page.isTruncated) return keys;
    after = page.keys[page.keys.length - 1];
  }
}

const ids = fc.constantFrom('a', 'b', 'ab', 'a-b', 'B', '0', '9', 'é', '日', '😀', '\ufffd', 'zz', 'a.b', '~');
const keyArb = fc.tuple(fc.constantFrom('docs/c1/', 'docs/c2/', 'docs/c10/', '_txn/r/'), ids).map(([d, id]) => d + id);
const prefixArb = fc.constantFrom('', 'd', 'docs/', 'docs/c1', 'docs/c1/', 'docs/c1/a', 'docs/c2/', '_txn/', 'docs/c3/');
const op = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: keyArb }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
  fc.record({ kind: fc.constant('reopen' as const) }),
  fc.record({
    kind: fc.constant('list' as const),
    prefix: prefixArb,
    startAfter: fc.option(fc.oneof(keyArb, prefixArb), { nil: undefined }),
    limit: fc.integer({ min: 1, max: 5 }),
  }),
);

describe('FilesystemBlobStore listing', () => {
  let base: string;
  let run = 0;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'sb-fslist-'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it.each([
    ['the default bound', undefined],
    ['a bound of 3 names (directories dropped and re-read, big ones never kept)', 3],
    ['no index at all (0)', 0],
  ])('every page equals a sorted, filtered model under random puts, deletes, reopens and lists (%s)', async (_, bound) => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const root = join(base, `m${run++}`);
        const open = (): Promise<FilesystemBlobStore> =>
          FilesystemBlobStore.open({ root, ...(bound === undefined ? {} : { listIndexEntries: bound }) });
        let store = await open();
        const model = new Set<string>();
        for (const o of ops) {
          if (o.kind === 'put') {
            await store.put(o.key, Buffer.from(o.key));
            model.add(o.key);
          } else if (o.kind === 'delete') {
            expect(await store.delete(o.key)).toBe(model.delete(o.key));
          } else if (o.kind === 'reopen') {
            await store.close();
            store = await open();
          } else {
            const want = [...model]
              .filter((k) => k.startsWith(o.prefix) && (o.startAfter === undefined || compareUtf8(k, o.startAfter) > 0))
              .sort(compareUtf8);
            const page = await store.list({
              prefix: o.prefix,
              limit: o.limit,
              ...(o.startAfter === undefined ? {} : { startAfter: o.startAfter }),
            });
            expect(page).toEqual({ keys: want.slice(0, o.limit), isTruncated: want.length > o.limit });
          }
        }
        await store.close();
      }),
      { numRuns: 40 },
    );
  });

  it('paging while other callers create and delete keys: every key present throughout appears once, in order, and nothing else', async () => {
    const store = await FilesystemBlobStore.open({ root: join(base, `c${run++}`) });
    const stable = Array.from({ length: 150 }, (_, i) => `docs/c/s${String(i).padStart(4, '0')}`);
    const doomed = Array.from({ length: 150 }, (_, i) => `docs/c/d${String(i).padStart(4, '0')}`);
    for (const k of [...stable, ...doomed]) await store.put(k, Buffer.from(k));
    const created: string[] = [];
    let stop = false;
    const churn = (async () => {
      for (let i = 0; !stop; i++) {
        const k = `docs/c/${String.fromCharCode(97 + (i % 26))}${i}`;
        await store.put(k, Buffer.from(k));
        created.push(k);
        if (i < doomed.length) await store.delete(doomed[i]!);
      }
    })();
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.list({ prefix: 'docs/c/', limit: 7, ...(after === undefined ? {} : { startAfter: after }) });
      seen.push(...page.keys);
      if (!page.isTruncated) break;
      after = page.keys[page.keys.length - 1];
      await new Promise((r) => setImmediate(r)); // let the churn run between pages
    }
    stop = true;
    await churn;
    for (let i = 1; i < seen.length; i++) expect(compareUtf8(seen[i - 1]!, seen[i]!)).toBeLessThan(0);
    const everExisted = new Set([...stable, ...doomed, ...created]);
    expect(seen.filter((k) => !everExisted.has(k))).toEqual([]);
    expect(stable.filter((k) => !seen.includes(k))).toEqual([]);
    expect(created.length).toBeGreaterThan(0);
    // And once quiet, a listing is exactly what is stored.
    const now = new Set([...stable, ...doomed.slice(Math.min(doomed.length, created.length)), ...created]);
    expect(await listAll(store, 'docs/c/', 1000)).toEqual([...now].sort(compareUtf8));
    await store.close();
  });

  it('a key created while a listing is open shows up on a later page when it sorts after the cursor, and not when before', async () => {
    const store = await FilesystemBlobStore.open({ root: join(base, `o${run++}`) });
    for (let i = 0; i < 20; i++) await store.put(`docs/c/k${String(i).padStart(2, '0')}`, Buffer.from('x'));
    const first = await store.list({ prefix: 'docs/c/', limit: 10 });
    expect(first.keys.at(-1)).toBe('docs/c/k09');
    await store.put('docs/c/k05b', Buffer.from('x')); // behind the cursor
    await store.put('docs/c/k15b', Buffer.from('x')); // ahead of it
    await store.put('docs/c/k99/nested', Buffer.from('x')); // in a new sub-directory ahead of it
    await store.delete('docs/c/k12');
    const rest = await listAll(store, 'docs/c/', 10, first.keys.at(-1));
    expect(rest).toEqual([
      'docs/c/k10',
      'docs/c/k11',
      'docs/c/k13',
      'docs/c/k14',
      'docs/c/k15',
      'docs/c/k15b',
      'docs/c/k16',
      'docs/c/k17',
      'docs/c/k18',
      'docs/c/k19',
      'docs/c/k99/nested',
    ]);
    await store.close();
  });

  it('a restart lists what is on disk, whatever changed there while the store was down (a crash between a file operation and the index update)', async () => {
    const root = join(base, `r${run++}`);
    let store = await FilesystemBlobStore.open({ root });
    for (let i = 0; i < 50; i++) await store.put(`docs/c/k${String(i).padStart(2, '0')}`, Buffer.from('x'));
    expect(await listAll(store, 'docs/', 10)).toHaveLength(50); // the index is loaded
    // The process dies (the index is gone with it); meanwhile the disk holds a file renamed in place just
    // before the crash, lacks one unlinked just before it, and has a new collection directory.
    await writeFile(join(root, 'docs', 'c', 'k25a'), 'x');
    await unlink(join(root, 'docs', 'c', 'k07'));
    await mkdir(join(root, 'docs', 'b'));
    await writeFile(join(root, 'docs', 'b', 'only'), 'x');
    store = await FilesystemBlobStore.open({ root });
    const keys = await listAll(store, 'docs/', 10);
    expect(keys).toHaveLength(51);
    expect(keys[0]).toBe('docs/b/only');
    expect(keys).toContain('docs/c/k25a');
    expect(keys).not.toContain('docs/c/k07');
    expect(keys).toEqual([...keys].sort(compareUtf8));
    expect(store.listIndex.loads).toBe(3); // 'docs/', 'docs/b/', 'docs/c/': once each for 6 pages
    await store.close();
  });

  it('a 10-key page of a 2,000-key directory does not re-read the directory (one load, then seeks)', async () => {
    const store = await FilesystemBlobStore.open({ root: join(base, `p${run++}`) });
    await Promise.all(Array.from({ length: 2000 }, (_, i) => store.put(`docs/c/${String(i).padStart(5, '0')}`, Buffer.from('x'))));
    for (const at of ['docs/c/00000', 'docs/c/01000', 'docs/c/01990']) {
      const page = await store.list({ prefix: 'docs/c/', startAfter: at, limit: 10 });
      expect(page.keys[0]).toBe(`docs/c/${String(Number(at.slice(7)) + 1).padStart(5, '0')}`);
    }
    expect(store.listIndex).toMatchObject({ loads: 1, entries: 2000 + 1 }); // the walk starts in the prefix's directory
    await store.close();
  });
});
