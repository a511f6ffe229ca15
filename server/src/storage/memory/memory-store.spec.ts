import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { isDbError } from '../../errors/db-error.js';
import { ConditionFailedError } from '../blob-store.js';
import { MemoryBlobStore } from './memory-store.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const sha32 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);

describe('MemoryBlobStore', () => {
  it('puts, gets and heads an object; etag is the first 32 hex chars of sha256(body)', async () => {
    const s = new MemoryBlobStore();
    const meta = await s.put('a/b', enc('hello'));
    expect(meta.etag).toBe(sha32('hello'));
    const blob = await s.get('a/b');
    expect(blob && dec(blob.body)).toBe('hello');
    expect(blob?.etag).toBe(meta.etag);
    expect(await s.head('a/b')).toEqual({ etag: meta.etag });
    expect(await s.get('missing')).toBeUndefined();
    expect(await s.head('missing')).toBeUndefined();
  });

  it('copies bodies so callers cannot mutate stored objects', async () => {
    const s = new MemoryBlobStore();
    const body = enc('abc');
    await s.put('k', body);
    body[0] = 0x7a;
    const got = await s.get('k');
    expect(dec(got!.body)).toBe('abc');
    got!.body[0] = 0x7a;
    expect(dec((await s.get('k'))!.body)).toBe('abc');
  });

  it('ifNoneMatch writes only when the key is missing', async () => {
    const s = new MemoryBlobStore();
    await s.put('k', enc('1'), { ifNoneMatch: true });
    const err = await s.put('k', enc('2'), { ifNoneMatch: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionFailedError);
    expect((err as ConditionFailedError).currentEtag).toBe(sha32('1'));
    expect(dec((await s.get('k'))!.body)).toBe('1');
  });

  it('ifMatch writes only over the exact etag, and fails on a missing key', async () => {
    const s = new MemoryBlobStore();
    const v1 = await s.put('k', enc('1'));
    const v2 = await s.put('k', enc('2'), { ifMatch: v1.etag });
    await expect(s.put('k', enc('3'), { ifMatch: v1.etag })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(s.put('nope', enc('3'), { ifMatch: v1.etag })).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await s.head('k'))?.etag).toBe(v2.etag);
    expect(await s.head('nope')).toBeUndefined();
  });

  it('delete is idempotent without a condition and exact with ifMatch', async () => {
    const s = new MemoryBlobStore();
    expect(await s.delete('k')).toBe(false);
    const v1 = await s.put('k', enc('1'));
    await s.put('k', enc('2'));
    await expect(s.delete('k', { ifMatch: v1.etag })).rejects.toBeInstanceOf(ConditionFailedError);
    const cur = (await s.head('k'))!.etag;
    expect(await s.delete('k', { ifMatch: cur })).toBe(true);
    expect(await s.head('k')).toBeUndefined();
    await expect(s.delete('k', { ifMatch: cur })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await s.delete('k')).toBe(false);
  });

  it('exactly one of many concurrent ifNoneMatch / ifMatch writers wins', async () => {
    const s = new MemoryBlobStore();
    const creates = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => s.put('c', enc(`w${i}`), { ifNoneMatch: true })));
    expect(creates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const etag = (await s.head('c'))!.etag;
    const updates = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => s.put('c', enc(`u${i}`), { ifMatch: etag })));
    expect(updates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of updates) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConditionFailedError);
    }
  });

  it('lists in UTF-8 byte order with prefix, startAfter, limit and isTruncated', async () => {
    const s = new MemoryBlobStore();
    // UTF-16 order would put U+FF5E before U+1F600 (a surrogate pair); UTF-8 byte order does the opposite.
    const keys = ['p/b', 'p/a', 'p/\u{1F600}', 'p/\uFF5E', 'q/a', 'o/z', 'p/A'];
    for (const k of keys) await s.put(k, enc(k));
    const all = await s.list({ prefix: 'p/', limit: 1000 });
    expect(all).toEqual({ keys: ['p/A', 'p/a', 'p/b', 'p/\uFF5E', 'p/\u{1F600}'], isTruncated: false });
    expect(await s.list({ prefix: 'p/', limit: 2 })).toEqual({ keys: ['p/A', 'p/a'], isTruncated: true });
    expect(await s.list({ prefix: 'p/', limit: 2, startAfter: 'p/a' })).toEqual({
      keys: ['p/b', 'p/\uFF5E'],
      isTruncated: true,
    });
    expect(await s.list({ prefix: 'p/', limit: 2, startAfter: 'p/\uFF5E' })).toEqual({
      keys: ['p/\u{1F600}'],
      isTruncated: false,
    });
    // Exactly `limit` keys left: not truncated.
    expect(await s.list({ prefix: 'p/', limit: 1, startAfter: 'p/\uFF5E' })).toEqual({
      keys: ['p/\u{1F600}'],
      isTruncated: false,
    });
    expect(await s.list({ prefix: 'p/', limit: 5, startAfter: 'a' })).toEqual(all);
    expect(await s.list({ prefix: 'p/', limit: 5, startAfter: 'z' })).toEqual({ keys: [], isTruncated: false });
    expect((await s.list({ prefix: '', limit: 1000 })).keys).toHaveLength(keys.length);
  });

  it('rejects a limit outside 1..1000', async () => {
    const s = new MemoryBlobStore();
    await expect(s.list({ prefix: '', limit: 0 })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(s.list({ prefix: '', limit: 1001 })).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('paging through list visits every key under the prefix once, in byte order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 6 }), { maxLength: 40 }),
        fc.constantFrom('', 'a', 'x/'),
        fc.integer({ min: 1, max: 7 }),
        async (names, prefix, limit) => {
          const s = new MemoryBlobStore();
          for (const n of names) await s.put(n, enc(n));
          const seen: string[] = [];
          let startAfter: string | undefined;
          for (;;) {
            const page = await s.list({ prefix, startAfter, limit });
            seen.push(...page.keys);
            if (!page.isTruncated) break;
            startAfter = page.keys[page.keys.length - 1];
          }
          const expected = names.filter((n) => n.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('honours an aborted signal on every method without changing anything', async () => {
    const s = new MemoryBlobStore();
    await s.put('k', enc('1'));
    const ac = new AbortController();
    ac.abort();
    const calls = [
      s.get('k', ac.signal),
      s.head('k', ac.signal),
      s.put('k', enc('2'), undefined, ac.signal),
      s.delete('k', undefined, ac.signal),
      s.list({ prefix: '', limit: 10 }, ac.signal),
    ];
    for (const c of calls) {
      const e = await c.catch((x: unknown) => x);
      expect(isDbError(e, 'CANCELLED')).toBe(true);
    }
    expect(dec((await s.get('k'))!.body)).toBe('1');
    const timedOut = AbortSignal.abort(new DOMException('timeout', 'TimeoutError'));
    await expect(s.get('k', timedOut)).rejects.toMatchObject({ kind: 'deadline_exceeded' });
  });

  it('throws unavailable after close', async () => {
    const s = new MemoryBlobStore();
    await s.close();
    await expect(s.get('k')).rejects.toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
  });
});
