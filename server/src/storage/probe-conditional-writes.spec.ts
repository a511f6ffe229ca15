import { DbError } from '../errors/db-error.js';
import { ConditionFailedError, type Blob, type BlobMeta, type WriteCondition } from './blob-store.js';
import { FaultyBlobStore } from './faulty-store.js';
import { MemoryBlobStore } from './memory/memory-store.js';
import { probeConditionalWrites } from './probe-conditional-writes.js';
import { TornReadsStore } from './torn-reads-store.js';
import { md5Hex } from './verified-reads.js';

const ALL_CHECKS = [
  'ifNoneMatchOnExistingRefused',
  'ifMatchWrongEtagRefused',
  'ifMatchRightEtagSucceeds',
  'ifMatchOnMissingRefused',
  'deleteWrongEtagRefused',
  'atomicIfNoneMatch',
  'atomicIfMatch',
  'md5Etags',
  'digestMetadata',
  'atomicReads',
];

/** Ignores every condition (a backend that drops the headers). */
class IgnoringStore extends MemoryBlobStore {
  override put(key: string, body: Uint8Array, _c?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    return super.put(key, body, undefined, signal);
  }
  override delete(key: string, _c?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return super.delete(key, undefined, signal);
  }
}

/** Checks then writes with an await in between: correct alone, wrong under concurrency. */
class CheckThenWriteStore extends MemoryBlobStore {
  override async put(key: string, body: Uint8Array, c?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    const current = await this.head(key, signal);
    if (c?.ifNoneMatch && current !== undefined) throw new ConditionFailedError(key, current.etag);
    if (c?.ifMatch !== undefined && current?.etag !== c.ifMatch) throw new ConditionFailedError(key, current?.etag);
    await new Promise((r) => setImmediate(r));
    return super.put(key, body, undefined, signal);
  }
}

/** Reads the "metadata" (etag) and the "file" (body) separately with a yield between: versitygw v1.8.0's GET. */
class SplitReadStore extends MemoryBlobStore {
  constructor() {
    super({ etag: md5Hex });
  }
  override async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    const meta = await this.head(key, signal);
    await new Promise((r) => setImmediate(r));
    const data = await super.get(key, signal);
    return meta === undefined || data === undefined ? undefined : { etag: meta.etag, body: data.body };
  }
}

/** A conditional put that checks once, yields, and only then writes, ONE time in `every` (a rarely lost race). */
class SometimesCheckThenWriteStore extends MemoryBlobStore {
  private n = 0;
  constructor(private readonly every: number) {
    super();
  }
  override async put(key: string, body: Uint8Array, c?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    if (c?.ifMatch === undefined || this.n++ % this.every !== 0) return super.put(key, body, c, signal);
    const current = await this.head(key, signal);
    if (current?.etag !== c.ifMatch) throw new ConditionFailedError(key, current?.etag);
    await new Promise((r) => setImmediate(r));
    return super.put(key, body, undefined, signal);
  }
}

const checksOf = (pass: Record<string, boolean>) => Object.fromEntries(ALL_CHECKS.map((c) => [c, pass[c] ?? true]));

describe('probeConditionalWrites', () => {
  it('passes every guarantee on MemoryBlobStore (its etags are not MD5, no digest) and leaves no scratch keys', async () => {
    const store = new MemoryBlobStore();
    const result = await probeConditionalWrites(store);
    expect(result).toEqual({
      native: true,
      md5Etags: false,
      digestMetadata: false,
      atomicReads: true,
      checks: checksOf({ md5Etags: false, digestMetadata: false }),
    });
    expect(store.size).toBe(0);
  });

  it('finds MD5 etags and a writer digest where the store has them', async () => {
    const result = await probeConditionalWrites(new TornReadsStore(new MemoryBlobStore({ etag: md5Hex })));
    expect(result).toMatchObject({ native: true, md5Etags: true, digestMetadata: true, atomicReads: true });
    expect(result.detail).toBeUndefined();
  });

  it('catches a store whose GET reads the etag and the body separately: atomicReads fails, native still holds', async () => {
    const store = new SplitReadStore();
    const result = await probeConditionalWrites(store);
    expect(result).toMatchObject({ native: true, md5Etags: true, atomicReads: false });
    expect(result.checks).toEqual(checksOf({ digestMetadata: false, atomicReads: false }));
    expect(result.detail).toMatch(
      /^atomicReads: \d+ of \d+ concurrent gets returned a body that was not written with their etag \(round 1 of 3\)$/,
    );
    expect(store.size).toBe(0);
  });

  it('the repeated If-Match race catches a conditional put that is check-then-write only now and then', async () => {
    // 1 If-Match put in 9 is non-atomic: rounds 1-3 miss it, round 4 catches it (one round alone would say native).
    const result = await probeConditionalWrites(new SometimesCheckThenWriteStore(9));
    expect(result.native).toBe(false);
    expect(result.checks).toMatchObject({ atomicIfMatch: false, atomicReads: true });
    expect(result.detail).toMatch(/atomicIfMatch: \d of 8 concurrent updates with one etag succeeded \(round 4 of 5\)/);
  });

  it('fails every condition check on a store that ignores conditions', async () => {
    const store = new IgnoringStore();
    const result = await probeConditionalWrites(store, { prefix: 'scratch/' });
    expect(result.native).toBe(false);
    expect(result.checks).toMatchObject({
      ifNoneMatchOnExistingRefused: false,
      ifMatchWrongEtagRefused: false,
      ifMatchRightEtagSucceeds: true,
      ifMatchOnMissingRefused: false,
      deleteWrongEtagRefused: false,
      atomicIfNoneMatch: false,
      atomicIfMatch: false,
    });
    expect(result.detail).toContain('deleteWrongEtagRefused: the object was deleted');
    expect(store.size).toBe(0);
  });

  it('fails only the atomicity checks on a check-then-write store', async () => {
    const result = await probeConditionalWrites(new CheckThenWriteStore());
    expect(result.native).toBe(false);
    expect(result.checks).toMatchObject({
      ifNoneMatchOnExistingRefused: true,
      ifMatchWrongEtagRefused: true,
      ifMatchRightEtagSucceeds: true,
      ifMatchOnMissingRefused: true,
      deleteWrongEtagRefused: true,
      atomicIfNoneMatch: false,
      atomicIfMatch: false,
    });
    expect(result.detail).toMatch(/atomicIfNoneMatch: 8 of 8 concurrent creates succeeded/);
  });

  it('rethrows an unavailable backend instead of reporting a verdict, and still cleans up', async () => {
    const inner = new MemoryBlobStore();
    const store = new FaultyBlobStore(inner);
    store.failNext('head', () => new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'injected'));
    await expect(probeConditionalWrites(store)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(inner.size).toBe(0);
  });

  it('a store that fails under the read race gives no verdict: atomicReads fails, the probe still answers', async () => {
    let gets = 0;
    const store = new (class extends MemoryBlobStore {
      override get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
        // The etag-shape check's single read passes; the race's reads fail as moto's did (an error page under load).
        if (++gets > 1) return Promise.reject(new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'injected'));
        return super.get(key, signal);
      }
    })();
    const result = await probeConditionalWrites(store);
    expect(result.checks.atomicReads).toBe(false);
    expect(result.atomicReads).toBe(false);
    expect(result.native).toBe(true);
    expect(result.detail).toMatch(/atomicReads: no verdict, the store failed under the race \(BACKEND_UNAVAILABLE\)/);
    expect(store.size).toBe(0);
  });

  it('an aborted signal stops the probe with cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(probeConditionalWrites(new MemoryBlobStore(), { signal: ac.signal })).rejects.toMatchObject({
      kind: 'cancelled',
    });
  });
});
