import { randomBytes } from 'node:crypto';
import { DbError } from '../errors/db-error.js';
import { isJsonObject, type JsonObject } from '../model/json.js';

/**
 * The stored form of a document (docs/storage-format.md): plain UTF-8 JSON
 *
 *   {"smarterbase":{"schemaVersion":1,"version":3,"createTime":"…Z","updateTime":"…Z","writeId":"…"},"data":{…}}
 *
 * readable by any S3 tool. `writeId` is random per write, so two writes never
 * produce the same body (and the same etag), even for identical data.
 */

/** A stored document's current state: the store's etag and the decoded envelope. */
export interface DocState {
  readonly etag: string;
  readonly env: Envelope;
}

/** The envelope schema this code writes and reads. */
export const SCHEMA_VERSION = 1;

/** The metadata kept beside the data. */
export interface EnvelopeMeta {
  /** 1 on create, +1 on every write. */
  readonly version: number;
  /** When the document was created (since its last delete). */
  readonly createTime: Date;
  /** When this version was written. */
  readonly updateTime: Date;
  /** Random per write (hex); makes every body unique. */
  readonly writeId: string;
  /**
   * The write's index sequence number (IndexStore.nextSeq, docs/adr/0005):
   * orders index updates of this document. Absent when no index hooks ran.
   */
  readonly seq?: number;
  /**
   * Set while a transaction holds the document (docs/transactions.md): the
   * id of its intent record. The envelope's data and other fields are then
   * the document as it was before the transaction (its pre-image).
   */
  readonly txn?: string;
  /**
   * With `txn`: the document did not exist before the transaction; this
   * object only reserves the key (a placeholder) and is no document.
   */
  readonly absent?: true;
  /**
   * When this version expires (docs/streams.md, "Document expiry (TTL)"):
   * from then on reads treat it as absent and the purger deletes it. Absent
   * when the version does not expire.
   */
  readonly expireTime?: Date;
}

/** A decoded envelope. */
export interface Envelope {
  readonly meta: EnvelopeMeta;
  readonly data: JsonObject;
}

/** A fresh random write id: 16 random bytes as 32 hex characters. */
export function newWriteId(): string {
  return randomBytes(16).toString('hex');
}

/** The envelope's bytes (UTF-8 JSON). */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  const { meta, data } = envelope;
  const json = JSON.stringify({
    smarterbase: {
      schemaVersion: SCHEMA_VERSION,
      version: meta.version,
      createTime: meta.createTime.toISOString(),
      updateTime: meta.updateTime.toISOString(),
      writeId: meta.writeId,
      ...(meta.seq === undefined ? {} : { seq: meta.seq }),
      ...(meta.txn === undefined ? {} : { txn: meta.txn }),
      ...(meta.absent === true ? { absent: true } : {}),
      ...(meta.expireTime === undefined ? {} : { expireTime: meta.expireTime.toISOString() }),
    },
    data,
  });
  return Buffer.from(json, 'utf8');
}

/** Decodes a stored body; throws DbError internal INTERNAL_ERROR (metadata key) when it is corrupt. */
export function decodeEnvelope(body: Uint8Array, key: string): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (cause) {
    throw corrupt(key, 'body is not JSON', cause);
  }
  if (!isJsonObject(parsed)) throw corrupt(key, 'body is not a JSON object');
  const head = parsed.smarterbase;
  if (!isJsonObject(head)) throw corrupt(key, 'missing "smarterbase" header');
  if (head.schemaVersion !== SCHEMA_VERSION) {
    throw corrupt(key, `unsupported schemaVersion ${JSON.stringify(head.schemaVersion)}`);
  }
  const version = head.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw corrupt(key, 'version must be a positive integer');
  }
  const createTime = parseTime(head.createTime, key, 'createTime');
  const updateTime = parseTime(head.updateTime, key, 'updateTime');
  if (typeof head.writeId !== 'string' || head.writeId.length === 0) throw corrupt(key, 'missing writeId');
  if (!isJsonObject(parsed.data)) throw corrupt(key, '"data" is not a JSON object');
  const seq = head.seq;
  if (seq !== undefined && (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)) {
    throw corrupt(key, 'seq must be a non-negative integer');
  }
  if (head.txn !== undefined && (typeof head.txn !== 'string' || head.txn === '')) throw corrupt(key, 'txn must be a non-empty string');
  if (head.absent !== undefined && (head.absent !== true || head.txn === undefined))
    throw corrupt(key, 'absent must be true, and only with txn');
  const meta: EnvelopeMeta = {
    version,
    createTime,
    updateTime,
    writeId: head.writeId,
    ...(seq === undefined ? {} : { seq }),
    ...(head.txn === undefined ? {} : { txn: head.txn }),
    ...(head.absent === true ? { absent: true as const } : {}),
    ...(head.expireTime === undefined ? {} : { expireTime: parseTime(head.expireTime, key, 'expireTime') }),
  };
  return { meta, data: parsed.data };
}

/** True when the version `meta` describes has expired at `nowMs` (expireTime ≤ now). */
export function expiredAt(meta: Pick<EnvelopeMeta, 'expireTime'>, nowMs: number): boolean {
  return meta.expireTime !== undefined && meta.expireTime.getTime() <= nowMs;
}

/** The envelope without its transaction marker: the pre-image a staged document keeps. */
export function withoutTxn(meta: EnvelopeMeta): EnvelopeMeta {
  const { txn: _txn, absent: _absent, ...rest } = meta;
  return rest;
}

function parseTime(v: unknown, key: string, name: string): Date {
  if (typeof v !== 'string') throw corrupt(key, `${name} is not a string`);
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw corrupt(key, `${name} is not a timestamp`);
  return d;
}

function corrupt(key: string, what: string, cause?: unknown): DbError {
  return new DbError('internal', 'INTERNAL_ERROR', `corrupt document envelope at ${key}: ${what}`, {
    metadata: { key },
    cause,
  });
}
