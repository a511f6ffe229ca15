/**
 * The start-up probe that decides whether a BlobStore enforces write
 * conditions natively and atomically, or needs LockedConditionsStore, and
 * whether its reads are atomic and what proves them (MD5 ETags, the writer's
 * digest in metadata) for storage/verified-reads.ts. It writes and deletes
 * scratch objects under '<prefix><random>/': at most about 540 requests, most
 * of them the read race (docs/storage-adapters.md, "The probe").
 */
import { randomBytes } from 'node:crypto';
import { isDbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobStore } from './blob-store.js';
import { PROBE_PREFIX } from '../format/bucket-layout.js';
import { probeEtagShape, raceReads, READ_RACE } from './probe-reads.js';

/** What probeConditionalWrites found. */
export interface ProbeResult {
  /** True when every conditional-write check (CONDITIONAL_CHECKS) passed: the store's own conditions can be trusted. */
  readonly native: boolean;
  /** A PUT's ETag is the MD5 of its body and a GET returns it (check md5Etags): reads can be proven by md5(body). */
  readonly md5Etags: boolean;
  /** A GET returns the writer's MD5 digest from the object's metadata (check digestMetadata). */
  readonly digestMetadata: boolean;
  /** No GET of the read race returned a body with another version's ETag (check atomicReads). */
  readonly atomicReads: boolean;
  /** Each check by name, true when it passed (or, for md5Etags and digestMetadata, when the property holds). */
  readonly checks: Record<string, boolean>;
  /** Why guarantee checks failed, for logs; absent when all passed. */
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

/** Rounds of each conditional atomicity race (a fresh race each round; one round with a wrong count fails the check). */
const ROUNDS = 5;

/** The checks that decide `native`. */
export const CONDITIONAL_CHECKS: readonly string[] = [
  'ifNoneMatchOnExistingRefused',
  'ifMatchWrongEtagRefused',
  'ifMatchRightEtagSucceeds',
  'ifMatchOnMissingRefused',
  'deleteWrongEtagRefused',
  'atomicIfNoneMatch',
  'atomicIfMatch',
];

/** Checks that report a property of the store rather than a guarantee: false is not a failure. */
const PROPERTIES = new Set(['md5Etags', 'digestMetadata']);

/** Kinds of error that mean the backend itself failed: they abort the probe instead of failing a check. */
const BACKEND_FAILURE = new Set(['unavailable', 'resource_exhausted', 'cancelled', 'deadline_exceeded']);

/**
 * The concurrent checks. A backend failure during one of them fails that check
 * (no verdict is the unsafe-to-trust side: lock mode, verified reads) instead of
 * aborting the probe: some stores (moto, S3Mock) fail under the race's load.
 */
const RACES = new Set(['atomicIfNoneMatch', 'atomicIfMatch', 'atomicReads']);

/**
 * Checks, in order: ifNoneMatch on an existing key is refused; ifMatch with a
 * wrong etag is refused; ifMatch with the right etag succeeds; ifMatch on a
 * missing key is refused; delete with a wrong ifMatch is refused and the object
 * survives; 8 concurrent ifNoneMatch puts of a fresh key → exactly one wins;
 * 8 concurrent ifMatch puts with the same current etag → exactly one wins
 * (each race ROUNDS times); then the read checks (probe-reads.ts): md5Etags,
 * digestMetadata, and atomicReads (READ_RACE: 3 rounds of 4 writers × 10 puts
 * against 4 readers).
 * Throws the backend's DbError when it is unavailable or throttling outside
 * the races (RACES), or the signal aborts.
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
      if (r !== true && !PROPERTIES.has(name)) notes.push(`${name}: ${r === false ? 'failed' : r}`);
    } catch (e) {
      if (isDbError(e) && BACKEND_FAILURE.has(e.kind)) {
        // A store that fails under the concurrent races (moto, S3Mock) gave no verdict: the check fails, which is the safe side.
        if (!RACES.has(name) || signal?.aborted === true) throw e;
        checks[name] = false;
        notes.push(`${name}: no verdict, the store failed under the race (${e.reason})`);
        return;
      }
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
      for (let round = 0; round < ROUNDS; round++) {
        const wins = await race(() => put(`${key}-${round}`, { ifNoneMatch: true }));
        if (wins !== 1) return `${wins} of ${RACERS} concurrent creates succeeded (round ${round + 1} of ${ROUNDS})`;
      }
      return true;
    });
    await check('atomicIfMatch', async () => {
      const key = `${dir}race-update`;
      let base = await put(key);
      for (let round = 0; round < ROUNDS; round++) {
        const wins = await race(() => put(key, { ifMatch: base.etag }));
        if (wins !== 1) return `${wins} of ${RACERS} concurrent updates with one etag succeeded (round ${round + 1} of ${ROUNDS})`;
        base = (await store.head(key, signal)) ?? base;
      }
      return true;
    });
    let shape = { md5Etags: false, digestMetadata: false };
    await check('md5Etags', async () => {
      const key = `${dir}shape`;
      written.add(key);
      shape = await probeEtagShape(store, key, body(), signal);
      return shape.md5Etags;
    });
    checks.digestMetadata = shape.digestMetadata;
    await check('atomicReads', () => {
      const key = `${dir}race-read`;
      written.add(key);
      return raceReads(store, key, { ...READ_RACE, body, signal });
    });
  } finally {
    await Promise.all([...written].map((k) => store.delete(k).catch(() => undefined)));
  }
  const native = CONDITIONAL_CHECKS.every((c) => checks[c] === true);
  const found = {
    native,
    md5Etags: checks.md5Etags === true,
    digestMetadata: checks.digestMetadata === true,
    atomicReads: checks.atomicReads === true,
    checks,
  };
  return notes.length === 0 ? found : { ...found, detail: notes.join('; ') };
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
