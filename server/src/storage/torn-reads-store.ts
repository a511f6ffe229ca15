/**
 * A BlobStore wrapper for tests that behaves like an S3-compatible store whose
 * GET reads metadata and data separately (versitygw v1.8.0 under concurrent
 * writes): after tear(key, k), the next k gets of that key return the
 * previous version's body with the current version's etag and digest. Every
 * other get returns the inner store's blob with the digest a writer would have
 * recorded (Blob.contentMd5 = md5(body), as the S3 adapter's sb-md5
 * metadata). Used by the specs of storage/verified-reads.ts and the engine's
 * read paths.
 */
import type { Blob, BlobMeta, BlobStore, WriteCondition } from './blob-store.js';
import { md5Hex } from './verified-reads.js';
import { ForwardingBlobStore } from './forwarding-store.js';

/** Wraps `inner`; see the file comment. */
export class TornReadsStore extends ForwardingBlobStore {
  /** Gets answered with a torn pair so far, per key. */
  readonly tornServed = new Map<string, number>();
  /** Gets per key. */
  readonly gets = new Map<string, number>();
  private readonly previous = new Map<string, Uint8Array>();
  private readonly current = new Map<string, Uint8Array>();
  private readonly pending = new Map<string, number>();
  private tearEvery = 0;

  constructor(inner: BlobStore) {
    super(inner);
  }

  /** The next `k` gets of `key` (with a previous version written through this store) return a torn pair. */
  tear(key: string, k: number): this {
    this.pending.set(key, k);
    return this;
  }

  /** The first `k` gets of EVERY key written twice or more through this store return a torn pair (0 turns it off). */
  tearAll(k: number): this {
    this.tearEvery = k;
    return this;
  }

  /** The inner blob, or the previous body with the current etag and digest while a tear is pending. */
  override async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    this.gets.set(key, (this.gets.get(key) ?? 0) + 1);
    const blob = await this.inner.get(key, signal);
    if (blob === undefined) return undefined;
    const honest: Blob = { body: blob.body, etag: blob.etag, contentMd5: md5Hex(blob.body) };
    const old = this.previous.get(key);
    const served = this.tornServed.get(key) ?? 0;
    const left = this.pending.get(key) ?? this.tearEvery - served;
    if (old === undefined || left <= 0) return honest;
    if (this.pending.has(key)) this.pending.set(key, left - 1);
    this.tornServed.set(key, served + 1);
    return { body: old, etag: blob.etag, contentMd5: honest.contentMd5 };
  }

  /** Passes through. */
  override head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.inner.head(key, signal);
  }

  /** Passes through, remembering the body it replaces. */
  override async put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    const meta = await this.inner.put(key, body, condition, signal);
    const replaced = this.current.get(key);
    if (replaced !== undefined) this.previous.set(key, replaced);
    this.current.set(key, Uint8Array.from(body));
    return meta;
  }
}
