/**
 * Intent records of transactions (docs/transactions.md): one object per
 * transaction at `_txn/intents/<txid>`, written before any document is
 * touched. Flipping its state from 'pending' to 'committed' (a conditional
 * put on its etag) is the transaction's commit point; recovery reads it to
 * decide whether to roll a transaction's documents forward or back.
 */
import { DbError } from '../errors/db-error.js';
import { isJsonObject, type JsonObject } from '../model/json.js';
import type { BlobStore } from '../storage/blob-store.js';
import { decodeEnvelope, encodeEnvelope, type Envelope } from '../format/envelope.js';
import { INTENTS_PREFIX, intentKey } from '../format/bucket-layout.js';

/** pending: being prepared; committed: past the commit point; aborted: will be rolled back. */
export type IntentState = 'pending' | 'committed' | 'aborted';

/** One write as the intent records it. */
export interface IntentWrite {
  readonly collection: string;
  readonly id: string;
  readonly op: 'set' | 'delete' | 'check';
  /** The etag of the document before the transaction; null when it did not exist. */
  readonly beforeEtag: string | null;
  /** For set: the document as the transaction writes it (its meta carries the index seq). */
  readonly after?: Envelope;
  /** For set and delete with index hooks: the write's index sequence number (its feed revision). */
  readonly seq?: number;
  /** The revision (envelope seq) of the document before the transaction, when it had one. */
  readonly prevSeq?: number;
}

/** A transaction's intent record. */
export interface Intent {
  readonly txid: string;
  readonly state: IntentState;
  readonly createTime: Date;
  /** A 'pending' intent older than this is abandoned: any server may abort it. */
  readonly expireTime: Date;
  /** The idempotency record of the request, when the Commit carried a request_id. */
  readonly requestKey?: string;
  readonly writes: readonly IntentWrite[];
}

/** A stored intent and its etag (the condition of the next state change). */
export interface StoredIntent {
  readonly intent: Intent;
  readonly etag: string;
}

/** Reads and writes intent records in a BlobStore. */
export class IntentStore {
  constructor(private readonly store: BlobStore) {}

  /** Creates the record (If-None-Match: a txid is used once). ConditionFailedError propagates. */
  async create(intent: Intent, signal?: AbortSignal): Promise<StoredIntent> {
    const { etag } = await this.store.put(intentKey(intent.txid), encodeIntent(intent), { ifNoneMatch: true }, signal);
    return { intent, etag };
  }

  /** The record, or undefined when there is none (finished, or never written). */
  async read(txid: string, signal?: AbortSignal): Promise<StoredIntent | undefined> {
    const blob = await this.store.get(intentKey(txid), signal);
    return blob === undefined ? undefined : { intent: decodeIntent(blob.body, txid), etag: blob.etag };
  }

  /** Moves the record to `state` only if it is still the version `from` (ConditionFailedError otherwise). */
  async transition(from: StoredIntent, state: IntentState, signal?: AbortSignal): Promise<StoredIntent> {
    const intent = { ...from.intent, state };
    const { etag } = await this.store.put(intentKey(intent.txid), encodeIntent(intent), { ifMatch: from.etag }, signal);
    return { intent, etag };
  }

  /** Deletes the record (done with). Missing records are fine. */
  async remove(txid: string, signal?: AbortSignal): Promise<void> {
    await this.store.delete(intentKey(txid), undefined, signal);
  }

  /** The txids of all records, in key order. */
  async list(signal?: AbortSignal): Promise<string[]> {
    const txids: string[] = [];
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.store.list({ prefix: INTENTS_PREFIX, startAfter, limit: 1000 }, signal);
      for (const key of page.keys) txids.push(key.slice(INTENTS_PREFIX.length));
      const last = page.keys[page.keys.length - 1];
      if (!page.isTruncated || last === undefined) return txids;
      startAfter = last;
    }
  }
}

/** The record's bytes: UTF-8 JSON, the after-images as stored envelopes. */
export function encodeIntent(intent: Intent): Uint8Array {
  const json = {
    txid: intent.txid,
    state: intent.state,
    createTime: intent.createTime.toISOString(),
    expireTime: intent.expireTime.toISOString(),
    ...(intent.requestKey === undefined ? {} : { requestKey: intent.requestKey }),
    writes: intent.writes.map((w) => ({
      collection: w.collection,
      id: w.id,
      op: w.op,
      beforeEtag: w.beforeEtag,
      ...(w.seq === undefined ? {} : { seq: w.seq }),
      ...(w.prevSeq === undefined ? {} : { prevSeq: w.prevSeq }),
      ...(w.after === undefined ? {} : { after: JSON.parse(Buffer.from(encodeEnvelope(w.after)).toString('utf8')) as JsonObject }),
    })),
  };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

/** Decodes a record; DbError internal INTERNAL_ERROR when it is corrupt. */
export function decodeIntent(body: Uint8Array, txid: string): Intent {
  const key = intentKey(txid);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (cause) {
    throw corrupt(key, 'not JSON', cause);
  }
  if (!isJsonObject(parsed) || parsed.txid !== txid || !Array.isArray(parsed.writes)) throw corrupt(key, 'bad shape');
  const state = parsed.state;
  if (state !== 'pending' && state !== 'committed' && state !== 'aborted') throw corrupt(key, 'bad state');
  const writes = parsed.writes.map((w): IntentWrite => {
    if (!isJsonObject(w) || typeof w.collection !== 'string' || typeof w.id !== 'string') throw corrupt(key, 'bad write');
    if (w.op !== 'set' && w.op !== 'delete' && w.op !== 'check') throw corrupt(key, 'bad op');
    if (w.beforeEtag !== null && typeof w.beforeEtag !== 'string') throw corrupt(key, 'bad beforeEtag');
    if (w.seq !== undefined && typeof w.seq !== 'number') throw corrupt(key, 'bad seq');
    if (w.prevSeq !== undefined && typeof w.prevSeq !== 'number') throw corrupt(key, 'bad prevSeq');
    if ((w.op === 'set') !== isJsonObject(w.after)) throw corrupt(key, 'after must be given exactly for set');
    const after = isJsonObject(w.after) ? decodeEnvelope(Buffer.from(JSON.stringify(w.after), 'utf8'), key) : undefined;
    return {
      collection: w.collection,
      id: w.id,
      op: w.op,
      beforeEtag: w.beforeEtag,
      ...(w.seq === undefined ? {} : { seq: w.seq }),
      ...(w.prevSeq === undefined ? {} : { prevSeq: w.prevSeq }),
      ...(after === undefined ? {} : { after }),
    };
  });
  return {
    txid,
    state,
    createTime: parseDate(parsed.createTime, key),
    expireTime: parseDate(parsed.expireTime, key),
    ...(typeof parsed.requestKey === 'string' ? { requestKey: parsed.requestKey } : {}),
    writes,
  };
}

function parseDate(v: unknown, key: string): Date {
  const d = typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw corrupt(key, 'bad timestamp');
  return d;
}

function corrupt(key: string, what: string, cause?: unknown): DbError {
  return new DbError('internal', 'INTERNAL_ERROR', `corrupt transaction intent at ${key}: ${what}`, { metadata: { key }, cause });
}
