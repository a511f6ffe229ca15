/**
 * A BlobStore wrapper whose get() never hands out an etag its body does not
 * prove (docs/adr/0007-reads-that-prove-their-version.md). Some S3-compatible
 * stores (versitygw v1.8.0) read an object's metadata and its data
 * separately, so under concurrent writes a GET can return one version's body
 * with another version's ETag; a conditional write computed from that body
 * then passes a check against the other version, and an update is lost.
 *
 * The proof, per read, first that applies:
 *   - `md5-etag`: the start-up probe found that the store's ETag is the MD5 of
 *     the body (and this etag has that shape: 32 hex digits, no multipart
 *     `-N` suffix) → md5(body) must equal the etag;
 *   - `digest`: the object carries the MD5 its writer recorded in the object's
 *     metadata (Blob.contentMd5; the S3 adapter's `x-amz-meta-sb-md5`) →
 *     md5(body) must equal it;
 *   - neither: the read passes unverified (counted).
 * On a mismatch the object is read again, up to maxAttempts reads in all with
 * jittered backoff on the injected clock; then the read fails
 * DbError('unavailable', 'STORAGE_INCONSISTENT'). head, put, delete and list
 * pass through (no body to prove).
 */
import { createHash } from 'node:crypto';
import { backoffDelay } from '../common/backoff.js';
import type { Clock, RandomSource } from '../common/clock.js';
import { DbError } from '../errors/db-error.js';
import type { CounterCell } from '../observability/cell-counter.js';
import type { Blob, BlobMeta, BlobStore } from './blob-store.js';
import { ForwardingBlobStore } from './forwarding-store.js';

/** How a read was proven: by an MD5 ETag, by the writer's digest in the object's metadata, or not at all. */
export type ReadProof = 'md5-etag' | 'digest' | 'none';

/** Counters of VerifiedReadsStore (all optional). */
export interface VerifiedReadsCounters {
  /** Reads whose etag the body did not prove (each one is re-read or given up on). */
  readonly mismatches?: CounterCell;
  /** Gets that failed STORAGE_INCONSISTENT after maxAttempts mismatched reads. */
  readonly giveUps?: CounterCell;
  /** Reads that carried no proof (no MD5 etag, no digest) and passed unverified. */
  readonly unverified?: CounterCell;
}

/** Options of VerifiedReadsStore; durations in ms. */
export interface VerifiedReadsOptions {
  /** The waits between re-reads. */
  readonly clock: Clock;
  /** The jitter of those waits. */
  readonly random: RandomSource;
  /** True when the probe found that a PUT's ETag is the MD5 of its body (probe check md5Etags). */
  readonly etagsAreMd5: boolean;
  /** Reads per get, the first included. Default 5. */
  readonly maxAttempts?: number;
  /** Backoff between re-reads: first cap and largest wait. Default 5 and 100. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Counters (metrics). */
  readonly counters?: VerifiedReadsCounters;
}

/** The default number of reads per get before STORAGE_INCONSISTENT. */
export const DEFAULT_VERIFY_ATTEMPTS = 5;

/** The lowercase hex MD5 of `body`. */
export function md5Hex(body: Uint8Array): string {
  return createHash('md5').update(body).digest('hex');
}

/** Whether `etag` has the shape of a single-part MD5 ETag: 32 hex digits, no `-N` suffix. */
export function isMd5Shaped(etag: string): boolean {
  return /^[0-9a-f]{32}$/i.test(etag);
}

/**
 * How `blob`'s etag is proven and whether the body proves it (`ok` is true
 * too when no proof is available: proof 'none'). See the file comment.
 */
export function proveBlob(blob: Blob, etagsAreMd5: boolean): { proof: ReadProof; ok: boolean } {
  if (etagsAreMd5 && isMd5Shaped(blob.etag)) return { proof: 'md5-etag', ok: md5Hex(blob.body) === blob.etag.toLowerCase() };
  if (blob.contentMd5 !== undefined && blob.contentMd5 !== '') {
    return { proof: 'digest', ok: md5Hex(blob.body) === blob.contentMd5.toLowerCase() };
  }
  return { proof: 'none', ok: true };
}

/** Wraps `inner` so that every get returns a body that proves its etag (see the file comment). */
export class VerifiedReadsStore extends ForwardingBlobStore {
  private readonly maxAttempts: number;

  constructor(
    inner: BlobStore,
    private readonly o: VerifiedReadsOptions,
  ) {
    super(inner);
    this.maxAttempts = Math.max(1, o.maxAttempts ?? DEFAULT_VERIFY_ATTEMPTS);
  }

  /** The object, its etag proven by its body; re-read on a mismatch, then STORAGE_INCONSISTENT. */
  override async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    for (let attempt = 0; ; attempt++) {
      const blob = await this.inner.get(key, signal);
      if (blob === undefined) return undefined;
      const { proof, ok } = proveBlob(blob, this.o.etagsAreMd5);
      if (ok) {
        if (proof === 'none') this.o.counters?.unverified?.add();
        return blob;
      }
      this.o.counters?.mismatches?.add();
      if (attempt + 1 >= this.maxAttempts) {
        this.o.counters?.giveUps?.add();
        throw new DbError('unavailable', 'STORAGE_INCONSISTENT', 'object storage returned a body that does not match its version', {
          metadata: { attempts: String(this.maxAttempts) },
        });
      }
      const shape = this.o.backoff ?? { baseMs: 5, maxMs: 100 };
      await this.o.clock.sleep(backoffDelay(attempt, { ...shape, random: () => this.o.random.random() }), signal);
    }
  }

  /** Passes through (no body to prove). */
  override head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.inner.head(key, signal);
  }
}
