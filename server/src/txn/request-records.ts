/**
 * Idempotency records of Commit requests with a request_id
 * (docs/transactions.md): `_txn/requests/<window>/<sha256(request_id)>`
 * holds the request's fingerprint, its transaction id and, once applied, its
 * result. A record is created right before the commit point, so every
 * committed request has one. `<window>` is the 10-minute window of its
 * creation (zero-padded, so windows list in time order): a lookup reads the
 * current and the previous window, and the sweep deletes whole old windows
 * without reading a single record.
 */
import { createHash } from 'node:crypto';
import { DbError } from '../errors/db-error.js';
import { isJsonObject } from '../model/json.js';
import type { BlobStore } from '../storage/blob-store.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { CommitOutcome } from './commit-types.js';
import { REQUESTS_PREFIX, requestRecordKey } from '../format/bucket-layout.js';

/** How long a committed request_id is remembered. */
export const REQUEST_TTL_MS = 10 * 60_000;

/** What is remembered of a request. */
export interface RequestRecord {
  /** sha256 of the request's canonical writes: a reuse with other writes is refused. */
  readonly fingerprint: string;
  readonly txid: string;
  readonly createTime: Date;
  /** Set once the transaction's writes are applied. */
  readonly result?: CommitOutcome;
}

/** The hash of a request_id (also the name of its coordination mutex). */
export function requestHash(requestId: string): string {
  return createHash('sha256').update(requestId, 'utf8').digest('hex');
}

/** The window number of a time. */
function windowOf(ms: number): number {
  return Math.floor(ms / REQUEST_TTL_MS);
}

/** The record key of a request hash in a window. */
function keyIn(window: number, hash: string): string {
  return requestRecordKey(window, hash);
}

/** A found record and where it is stored. */
export interface FoundRecord {
  readonly key: string;
  readonly record: RequestRecord;
}

/** Request records in a BlobStore. */
export class RequestRecords {
  constructor(
    private readonly store: BlobStore,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The key a record made now for `hash` is written to. */
  keyFor(hash: string): string {
    return keyIn(windowOf(this.clock.now()), hash);
  }

  /** The record of `hash` younger than REQUEST_TTL_MS, from the current or the previous window. */
  async find(hash: string, signal?: AbortSignal): Promise<FoundRecord | undefined> {
    const w = windowOf(this.clock.now());
    const keys = [keyIn(w, hash), keyIn(w - 1, hash)];
    const found = await Promise.all(keys.map((key) => this.read(key, signal)));
    const i = found.findIndex((r) => r !== undefined);
    return i < 0 ? undefined : { key: keys[i]!, record: found[i]! };
  }

  /** The record at `key` when it exists and is younger than REQUEST_TTL_MS. */
  async read(key: string, signal?: AbortSignal): Promise<RequestRecord | undefined> {
    const blob = await this.store.get(key, signal);
    if (blob === undefined) return undefined;
    const record = decodeRecord(blob.body, key);
    return this.expired(record) ? undefined : record;
  }

  /** Writes the record (replacing an older one). */
  async write(key: string, record: RequestRecord, signal?: AbortSignal): Promise<void> {
    await this.store.put(key, encodeRecord(record), undefined, signal);
  }

  /** Adds the result to the record of `key` if it belongs to `txid`. */
  async complete(key: string, txid: string, result: CommitOutcome, signal?: AbortSignal): Promise<void> {
    const record = await this.read(key, signal);
    if (record === undefined || record.txid !== txid || record.result !== undefined) return;
    await this.write(key, { ...record, result }, signal);
  }

  /** Deletes the record. */
  async remove(key: string, signal?: AbortSignal): Promise<void> {
    await this.store.delete(key, undefined, signal);
  }

  /**
   * Deletes the records of windows older than the previous one (all
   * expired), in key order, without reading them; returns how many.
   */
  async sweep(signal?: AbortSignal): Promise<number> {
    const oldest = keyIn(windowOf(this.clock.now()) - 1, '');
    let removed = 0;
    for (;;) {
      const page = await this.store.list({ prefix: REQUESTS_PREFIX, limit: 1000 }, signal);
      const expired = page.keys.filter((key) => key < oldest);
      await Promise.all(expired.map((key) => this.store.delete(key, undefined, signal)));
      removed += expired.length;
      if (expired.length < page.keys.length || !page.isTruncated) return removed;
    }
  }

  private expired(record: RequestRecord): boolean {
    return this.clock.now() - record.createTime.getTime() > REQUEST_TTL_MS;
  }
}

function encodeRecord(r: RequestRecord): Uint8Array {
  const result =
    r.result === undefined
      ? undefined
      : { ...r.result, commitTime: r.result.commitTime.toISOString(), results: r.result.results.map((x) => ({ ...x })) };
  return Buffer.from(
    JSON.stringify({ fingerprint: r.fingerprint, txid: r.txid, createTime: r.createTime.toISOString(), ...(result ? { result } : {}) }),
    'utf8',
  );
}

function decodeRecord(body: Uint8Array, key: string): RequestRecord {
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (cause) {
    throw corrupt(key, cause);
  }
  if (!isJsonObject(p) || typeof p.fingerprint !== 'string' || typeof p.txid !== 'string' || typeof p.createTime !== 'string') {
    throw corrupt(key);
  }
  const base = { fingerprint: p.fingerprint, txid: p.txid, createTime: new Date(p.createTime) };
  const r = p.result;
  if (!isJsonObject(r)) return base;
  if (!Array.isArray(r.results) || typeof r.transactionId !== 'string' || typeof r.commitTime !== 'string') throw corrupt(key);
  const results = r.results.map((x) => {
    if (!isJsonObject(x)) throw corrupt(key);
    return { collection: String(x.collection), id: String(x.id), etag: String(x.etag), version: Number(x.version) };
  });
  return { ...base, result: { results, transactionId: r.transactionId, commitTime: new Date(r.commitTime) } };
}

function corrupt(key: string, cause?: unknown): DbError {
  return new DbError('internal', 'INTERNAL_ERROR', `corrupt request record at ${key}`, { metadata: { key }, cause });
}
