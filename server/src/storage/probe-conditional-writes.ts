/**
 * The start-up probe that decides whether a BlobStore enforces write
 * conditions natively and atomically, or needs LockedConditionsStore.
 * It writes and deletes a few scratch objects under '<prefix><random>/'.
 */
import { randomBytes } from 'node:crypto';
import { isDbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobStore } from './blob-store.js';
import { PROBE_PREFIX } from '../format/bucket-layout.js';

/** What probeConditionalWrites found. */
export interface ProbeResult {
  /** True when every check passed: the store's own conditions can be trusted. */
  readonly native: boolean;
  /** Each check by name, true when it passed. */
  readonly checks: Record<string, boolean>;
  /** Why checks failed, for logs; absent when all passed. */
  readonly detail?: string;
}

/** Options of probeConditionalWrites. */
export interface ProbeOptions {
  /** Where scratch keys go (default PROBE_PREFIX, '_probe/'); each run uses a fresh random folder below it. */
  readonly prefix?: string;
  /** Aborts the probe (scratch keys are still removed). */
  readonly signal?: AbortSignal;
}

/** How many concurrent writers race in the atomicity checks. */
const RACERS = 8;

/** Kinds of error that mean the backend itself failed: they abort the probe instead of failing a check. */
const BACKEND_FAILURE = new Set(['unavailable', 'resource_exhausted', 'cancelled', 'deadline_exceeded']);

/**
 * Checks, in order: ifNoneMatch on an existing key is refused; ifMatch with a
 * wrong etag is refused; ifMatch with the right etag succeeds; ifMatch on a
 * missing key is refused; delete with a wrong ifMatch is refused and the object
 * survives; 8 concurrent ifNoneMatch puts of a fresh key → exactly one wins;
 * 8 concurrent ifMatch puts with the same current etag → exactly one wins.
 * Throws the backend's DbError when it is unavailable, throttling or the
 * signal aborts.
 */
export async function probeConditionalWrites(store: BlobStore, options: ProbeOptions = {}): Promise<ProbeResult> {
  const signal = options.signal;
  const dir = `${options.prefix ?? PROBE_PREFIX}${randomBytes(8).toString('hex')}/`;
  const written = new Set<string>();
  let n = 0;
  const body = (): Uint8Array => Buffer.from(JSON.stringify({ probe: dir, n: n++, r: randomBytes(8).toString('hex') }));
  const put = async (key: string, condition?: { ifMatch?: string; ifNoneMatch?: true }) => {
    written.add(key);
    return store.put(key, body(), condition, signal);
  };
  const checks: Record<string, boolean> = {};
  const notes: string[] = [];
  const check = async (name: string, fn: () => Promise<boolean | string>): Promise<void> => {
    try {
      const r = await fn();
      checks[name] = r === true;
      if (r !== true) notes.push(`${name}: ${r === false ? 'failed' : r}`);
    } catch (e) {
      if (isDbError(e) && BACKEND_FAILURE.has(e.kind)) throw e;
      checks[name] = false;
      notes.push(`${name}: unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  };
  const refused = async (fn: () => Promise<unknown>): Promise<boolean | string> => {
    try {
      await fn();
      return 'the write was accepted';
    } catch (e) {
      if (e instanceof ConditionFailedError) return true;
      throw e;
    }
  };

  try {
    const a = `${dir}a`;
    const first = await put(a);
    await check('ifNoneMatchOnExistingRefused', () => refused(() => put(a, { ifNoneMatch: true })));
    await check('ifMatchWrongEtagRefused', () => refused(() => put(a, { ifMatch: `${first.etag}0` })));
    let current = (await store.head(a, signal))?.etag ?? first.etag;
    await check('ifMatchRightEtagSucceeds', async () => {
      const next = await put(a, { ifMatch: current });
      current = next.etag;
      return next.etag !== first.etag || 'the etag did not change';
    });
    await check('ifMatchOnMissingRefused', () => refused(() => put(`${dir}missing`, { ifMatch: current })));
    await check('deleteWrongEtagRefused', async () => {
      const r = await refused(() => store.delete(a, { ifMatch: `${current}0` }, signal));
      const survived = (await store.head(a, signal)) !== undefined;
      if (!survived) return 'the object was deleted';
      return r;
    });
    await check('atomicIfNoneMatch', async () => {
      const key = `${dir}race-create`;
      const wins = await race(() => put(key, { ifNoneMatch: true }));
      return wins === 1 || `${wins} of ${RACERS} concurrent creates succeeded`;
    });
    await check('atomicIfMatch', async () => {
      const key = `${dir}race-update`;
      const base = await put(key);
      const wins = await race(() => put(key, { ifMatch: base.etag }));
      return wins === 1 || `${wins} of ${RACERS} concurrent updates with one etag succeeded`;
    });
  } finally {
    await Promise.all([...written].map((k) => store.delete(k).catch(() => undefined)));
  }
  const native = Object.values(checks).every((v) => v);
  return native ? { native, checks } : { native, checks, detail: notes.join('; ') };
}

/** Runs RACERS copies of `fn` at once; the number that succeeded. Errors other than ConditionFailedError propagate. */
async function race(fn: () => Promise<unknown>): Promise<number> {
  const results = await Promise.allSettled(Array.from({ length: RACERS }, () => fn()));
  let wins = 0;
  for (const r of results) {
    if (r.status === 'fulfilled') wins++;
    else if (!(r.reason instanceof ConditionFailedError)) throw r.reason;
  }
  return wins;
}
