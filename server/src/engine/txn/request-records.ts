/**
 * Idempotency records of Commit requests with a request_id
 * (docs/transactions.md): `_txn/requests/<sha256(request_id)>` holds the
 * request's fingerprint, its transaction id and, once applied, its result.
 * A record is created right before the commit point, so every committed
 * request has one; records older than 10 minutes are ignored and swept.
 */
import { createHash } from 'node:crypto';
import { DbError } from '../../errors/db-error.js';
import { isJsonObject } from '../../model/json.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { CommitResult } from '../document-api.js';

/** Where request records live. */
export const REQUESTS_PREFIX = '_txn/requests/';
/** How long a committed request_id is remembered. */
export const REQUEST_TTL_MS = 10 * 60_000;

/** What is remembered of a request. */
export interface RequestRecord {
  /** sha256 of the request's canonical writes: a reuse with other writes is refused. */
  readonly fingerprint: string;
  readonly txid: string;
  readonly createTime: Date;
  /** Set once the transaction's writes are applied. */
  readonly result?: CommitResult;
}

/** The record key of a request_id. */
export function requestKey(requestId: string): string {
  return REQUESTS_PREFIX + createHash('sha256').update(requestId, 'utf8').digest('hex');
}

/** Request records in a BlobStore. */
export class RequestRecords {
  constructor(
    private readonly store: BlobStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

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
  async complete(key: string, txid: string, result: CommitResult, signal?: AbortSignal): Promise<void> {
    const record = await this.read(key, signal);
    if (record === undefined || record.txid !== txid || record.result !== undefined) return;
    await this.write(key, { ...record, result }, signal);
  }

  /** Deletes the record. */
  async remove(key: string, signal?: AbortSignal): Promise<void> {
    await this.store.delete(key, undefined, signal);
  }

  /** Deletes expired records; returns how many. */
  async sweep(signal?: AbortSignal): Promise<number> {
    let removed = 0;
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.store.list({ prefix: REQUESTS_PREFIX, startAfter, limit: 1000 }, signal);
      for (const key of page.keys) {
        const blob = await this.store.get(key, signal);
        if (blob !== undefined && this.expired(decodeRecord(blob.body, key))) {
          await this.store.delete(key, { ifMatch: blob.etag }, signal).catch(() => false);
          removed++;
        }
      }
      const last = page.keys[page.keys.length - 1];
      if (!page.isTruncated || last === undefined) return removed;
      startAfter = last;
    }
  }

  private expired(record: RequestRecord): boolean {
    return this.now().getTime() - record.createTime.getTime() > REQUEST_TTL_MS;
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
