import { DbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobMeta, type WriteCondition } from './blob-store.js';
import { FaultyBlobStore } from './faulty-store.js';
import { MemoryBlobStore } from './memory/memory-store.js';
import { probeConditionalWrites } from './probe-conditional-writes.js';

const ALL_CHECKS = [
  'ifNoneMatchOnExistingRefused',
  'ifMatchWrongEtagRefused',
  'ifMatchRightEtagSucceeds',
  'ifMatchOnMissingRefused',
  'deleteWrongEtagRefused',
  'atomicIfNoneMatch',
  'atomicIfMatch',
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

describe('probeConditionalWrites', () => {
  it('passes every check on MemoryBlobStore and leaves no scratch keys', async () => {
    const store = new MemoryBlobStore();
    const result = await probeConditionalWrites(store);
    expect(result).toEqual({ native: true, checks: Object.fromEntries(ALL_CHECKS.map((c) => [c, true])) });
    expect(store.size).toBe(0);
  });

  it('fails every condition check on a store that ignores conditions', async () => {
    const store = new IgnoringStore();
    const result = await probeConditionalWrites(store, { prefix: 'scratch/' });
    expect(result.native).toBe(false);
    expect(result.checks).toEqual({
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

  it('an aborted signal stops the probe with cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(probeConditionalWrites(new MemoryBlobStore(), { signal: ac.signal })).rejects.toMatchObject({
      kind: 'cancelled',
    });
  });
});
