/**
 * Options of the single-document calls of SmarterBaseClient (put, putIfMatch,
 * create, delete, list and listAll), and the requests of the four writes.
 */
import type { JsonObject } from './document.js';
import { toProtoExpiration, type ExpiryOption } from './expiry.js';
import { toProtoGuard, type LockGuard } from './locks.js';
import type { CallOptions } from './options.js';

/** Options of put(). */
export interface PutOptions extends CallOptions, ExpiryOption {
  /** Write only if no document has this id (DOCUMENT_ALREADY_EXISTS otherwise). Default false: upsert. */
  readonly createOnly?: boolean;
  /** Write only while holding this lock (LOCK_NOT_HELD once a newer grant exists). */
  readonly lockGuard?: LockGuard;
}

/** Options of putIfMatch(). */
export interface PutIfMatchOptions extends CallOptions, ExpiryOption {
  /** Write only while holding this lock (LOCK_NOT_HELD once a newer grant exists). */
  readonly lockGuard?: LockGuard;
}

/** Options of create(). */
export interface CreateOptions extends CallOptions, ExpiryOption {
  /** The id to use; default: the server assigns a UUIDv7. */
  readonly id?: string;
}

/** Options of delete(). */
export interface DeleteOptions extends CallOptions {
  /** Delete only this version: ETAG_MISMATCH when stale, DOCUMENT_NOT_FOUND when gone. */
  readonly etag?: string;
  /** Delete only while holding this lock (LOCK_NOT_HELD once a newer grant exists). */
  readonly lockGuard?: LockGuard;
}

/** Options of list() and listAll(). */
export interface ListOptions extends CallOptions {
  /** Most documents per page, 1 to 1000; default (0) lets the server use 100. */
  readonly pageSize?: number;
  /** The nextPageToken of the previous page (list() only); the other options must not change. */
  readonly pageToken?: string;
  /** Only ids starting with this prefix. */
  readonly idPrefix?: string;
  /** Return only collection and id (no data, etag or version): much faster. */
  readonly keysOnly?: boolean;
}

/** The PutRequest init of put(). */
export function putRequest(collection: string, id: string, data: JsonObject, o: PutOptions | undefined) {
  const createOnly = o?.createOnly ?? false;
  return { collection, id, data, createOnly, lockGuard: toProtoGuard(o?.lockGuard), expiration: toProtoExpiration(o?.expiry) };
}

/** The PutIfMatchRequest init of putIfMatch(). */
export function putIfMatchRequest(collection: string, id: string, data: JsonObject, etag: string, o: PutIfMatchOptions | undefined) {
  return { collection, id, data, etag, lockGuard: toProtoGuard(o?.lockGuard), expiration: toProtoExpiration(o?.expiry) };
}

/** The CreateRequest init of create(). */
export function createRequest(collection: string, data: JsonObject, o: CreateOptions | undefined) {
  return { collection, id: o?.id ?? '', data, expiration: toProtoExpiration(o?.expiry) };
}

/** The DeleteRequest of delete(). */
export function deleteRequest(collection: string, id: string, o: DeleteOptions | undefined) {
  return { collection, id, etag: o?.etag ?? '', lockGuard: toProtoGuard(o?.lockGuard) };
}
