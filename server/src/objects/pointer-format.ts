/**
 * The object pointer (docs/adr/0013 §2): the small JSON envelope stored at
 * `objects/<collection>/<id>` through the BlobStore. It names the immutable
 * data key of the current version and holds everything StatObject returns;
 * its store etag is the object's etag. `writeId` is fresh on every write, so
 * the bytes (and the etag) change even when everything else is equal.
 */
import { DbError } from '../errors/db-error.js';
import type { ObjectMeta } from '../api/object-api.js';

/** The pointer format version this code writes and reads. */
export const POINTER_SCHEMA_VERSION = 1;

/** What a pointer holds. */
export interface ObjectPointer {
  /** 1 when created, +1 per write. */
  readonly version: number;
  readonly createTime: Date;
  readonly updateTime: Date;
  /** Unique per write (so every write changes the pointer's bytes and etag). */
  readonly writeId: string;
  /** The data key of this version (`_objdata/<c>/<id>/<vid>`). */
  readonly data: string;
  readonly size: number;
  /** Lowercase hex SHA-256 of the data. */
  readonly sha256: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** The pointer's JSON bytes. */
export function encodePointer(p: ObjectPointer): Uint8Array {
  const json = {
    smarterbase: {
      schemaVersion: POINTER_SCHEMA_VERSION,
      kind: 'object',
      version: p.version,
      createTime: p.createTime.toISOString(),
      updateTime: p.updateTime.toISOString(),
      writeId: p.writeId,
    },
    object: { data: p.data, size: p.size, sha256: p.sha256, contentType: p.contentType, metadata: p.metadata },
  };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

/** The pointer stored at `key`; DbError internal OBJECT_CORRUPT when the bytes are not one. */
export function decodePointer(bytes: Uint8Array, key: string): ObjectPointer {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    throw corrupt(key, 'not JSON', e);
  }
  const env = (v as { smarterbase?: Record<string, unknown> } | null)?.smarterbase;
  const obj = (v as { object?: Record<string, unknown> } | null)?.object;
  if (env === undefined || obj === undefined || env.kind !== 'object' || env.schemaVersion !== POINTER_SCHEMA_VERSION)
    throw corrupt(key, 'not an object pointer');
  const createTime = new Date(String(env.createTime));
  const updateTime = new Date(String(env.updateTime));
  const metadata = obj.metadata;
  if (
    typeof env.version !== 'number' ||
    typeof env.writeId !== 'string' ||
    Number.isNaN(createTime.getTime()) ||
    Number.isNaN(updateTime.getTime()) ||
    typeof obj.data !== 'string' ||
    typeof obj.size !== 'number' ||
    typeof obj.sha256 !== 'string' ||
    typeof obj.contentType !== 'string' ||
    typeof metadata !== 'object' ||
    metadata === null ||
    Object.values(metadata).some((x) => typeof x !== 'string')
  )
    throw corrupt(key, 'a field is missing or mistyped');
  return {
    version: env.version,
    createTime,
    updateTime,
    writeId: env.writeId,
    data: obj.data,
    size: obj.size,
    sha256: obj.sha256,
    contentType: obj.contentType,
    metadata: metadata as Record<string, string>,
  };
}

/** The API view of a pointer read with etag `etag`. */
export function objectMetaOf(collection: string, id: string, etag: string, p: ObjectPointer): ObjectMeta {
  return {
    collection,
    id,
    etag,
    version: p.version,
    sizeBytes: p.size,
    sha256: p.sha256,
    contentType: p.contentType,
    metadata: p.metadata,
    createTime: p.createTime,
    updateTime: p.updateTime,
  };
}

function corrupt(key: string, why: string, cause?: unknown): DbError {
  return new DbError('internal', 'OBJECT_CORRUPT', `object pointer ${key} is unreadable: ${why}`, { metadata: { key }, cause });
}
