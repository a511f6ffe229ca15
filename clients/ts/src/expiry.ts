/**
 * Document expiry (docs/streams.md, "Document expiry (TTL)"): the Expiry
 * option of every write, and its conversion to the Expiration message. The
 * server validates the values (a ttl of at least 1 s, ...); the client only
 * passes them through.
 */
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ExpirationSchema } from './gen/smarterbase/v1/document_pb.js';
import { msToDuration } from './locks.js';

/**
 * When a written version expires: exactly one of `{ expireTime }` (an
 * absolute time), `{ ttlMs }` (a time to live from the write, by the
 * server's clock) or `{ never: true }` (never, even when the collection has
 * a default TTL). Omitted: the collection's default TTL, or never.
 */
export type Expiry =
  | { readonly expireTime: Date; readonly ttlMs?: never; readonly never?: never }
  | { readonly ttlMs: number; readonly expireTime?: never; readonly never?: never }
  | { readonly never: true; readonly expireTime?: never; readonly ttlMs?: never };

/** The write options that carry an expiry (put, putIfMatch, create, batch put, transaction set, update). */
export interface ExpiryOption {
  /** When the written version expires; default: the collection's default TTL, or never. */
  readonly expiry?: Expiry;
}

/** The generated Expiration init of an Expiry option; undefined when none was given (the server applies the default). */
export function toProtoExpiration(expiry: Expiry | undefined): MessageInitShape<typeof ExpirationSchema> | undefined {
  if (expiry === undefined) return undefined;
  if (expiry.expireTime !== undefined) return { expiration: { case: 'expireTime', value: timestampFromDate(expiry.expireTime) } };
  if (expiry.ttlMs !== undefined) return { expiration: { case: 'ttl', value: msToDuration(expiry.ttlMs) } };
  if (expiry.never !== undefined) return { expiration: { case: 'never', value: expiry.never } };
  throw new TypeError('expiry is exactly one of { expireTime: Date }, { ttlMs: number } or { never: true }');
}
