/**
 * The file format of the filesystem ObjectStore: the body, then a JSON trailer
 * with the object's metadata, then the trailer's length as a 4-byte big-endian
 * integer. The trailer comes last so that a body can be streamed (and hashed)
 * into the file before its SHA-256 and etag are known; one file per object
 * means one rename publishes body and metadata together.
 */
import type { FileHandle } from 'node:fs/promises';
import { DbError } from '../../../errors/db-error.js';
import type { ObjectInfo } from '../object-store.js';

/** What the trailer holds (the key is the file's path, not stored). */
export type ObjectTrailer = Omit<ObjectInfo, 'key'>;

/** Bytes of the length field after the trailer. */
const LENGTH_BYTES = 4;

/** The bytes to append after a body: JSON trailer + its length. */
export function encodeTrailer(trailer: ObjectTrailer): Buffer {
  const json = Buffer.from(JSON.stringify(trailer), 'utf8');
  const length = Buffer.alloc(LENGTH_BYTES);
  length.writeUInt32BE(json.byteLength);
  return Buffer.concat([json, length]);
}

/** Reads the trailer of an open object file of `fileSize` bytes; throws 'internal' on a corrupt file. */
export async function readTrailer(handle: FileHandle, fileSize: number, key: string): Promise<ObjectTrailer> {
  if (fileSize < LENGTH_BYTES) throw corrupt(key, 'shorter than its length field');
  const lengthBuf = Buffer.alloc(LENGTH_BYTES);
  await handle.read(lengthBuf, 0, LENGTH_BYTES, fileSize - LENGTH_BYTES);
  const length = lengthBuf.readUInt32BE(0);
  if (length + LENGTH_BYTES > fileSize) throw corrupt(key, 'trailer longer than the file');
  const json = Buffer.alloc(length);
  await handle.read(json, 0, length, fileSize - LENGTH_BYTES - length);
  let trailer: ObjectTrailer;
  try {
    trailer = JSON.parse(json.toString('utf8')) as ObjectTrailer;
  } catch (e) {
    throw corrupt(key, 'trailer is not JSON', e);
  }
  if (trailer.size !== fileSize - LENGTH_BYTES - length) throw corrupt(key, 'body size differs from the trailer');
  return trailer;
}

function corrupt(key: string, why: string, cause?: unknown): DbError {
  return new DbError('internal', 'INTERNAL_ERROR', `object file of ${key} is corrupt: ${why}`, { cause, metadata: { key } });
}
