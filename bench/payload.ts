/**
 * The benchmark document: a JSON object whose JSON encoding is exactly the
 * requested size (1 KB by default), shaped like a small user record.
 */
import type { JsonObject } from '@bufbuild/protobuf';

/** Default document size in bytes of its JSON encoding. */
export const DEFAULT_DOCUMENT_BYTES = 1024;

/**
 * A document whose `JSON.stringify` is exactly `bytes` bytes (ASCII only).
 * Throws when `bytes` is too small to hold the fixed fields (< 200).
 */
export function makeDocument(bytes = DEFAULT_DOCUMENT_BYTES): JsonObject {
  const base: JsonObject = {
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    age: 36,
    active: true,
    tags: ['math', 'engines', 'poetry'],
    address: { city: 'London', country: 'GB' },
    bio: '',
  };
  const fixed = Buffer.byteLength(JSON.stringify(base));
  if (bytes < 200 || bytes < fixed) throw new RangeError(`document too small: ${bytes} bytes`);
  base.bio = 'x'.repeat(bytes - fixed);
  return base;
}

/** The JSON bytes of `makeDocument(bytes)`: what the raw S3 baseline stores. */
export function makeDocumentBytes(bytes = DEFAULT_DOCUMENT_BYTES): Uint8Array {
  return Buffer.from(JSON.stringify(makeDocument(bytes)), 'utf8');
}
