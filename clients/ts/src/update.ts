/**
 * The read → fn(data) → putIfMatch loop behind SmarterBaseClient.update(),
 * restarted (bounded, with jittered backoff) when another writer changed the
 * document in between (ETAG_MISMATCH or CONCURRENT_MODIFICATION).
 */
import { backoffDelayMs, sleep } from './backoff.js';
import type { JsonObject, StoredDocument } from './document.js';
import { SmarterBaseError } from './errors.js';
import type { ExpiryOption } from './expiry.js';
import type { CallOptions } from './options.js';

/** Computes the new content from the current one; may be async. Must not have side effects: it may run several times. */
export type UpdateFn<T extends JsonObject> = (data: T, current: StoredDocument<T>) => T | Promise<T>;

/** Options of update(). timeoutMs and signal apply to each read and write; expiry to the write. */
export interface UpdateOptions extends CallOptions, ExpiryOption {
  /** Read-modify-write attempts before the last conflict error is thrown. Default 20. */
  readonly maxAttempts?: number;
  /** Upper bound of the first backoff after a conflict. Default 5 ms. */
  readonly initialBackoffMs?: number;
  /** Cap of any backoff after a conflict. Default 250 ms. */
  readonly maxBackoffMs?: number;
}

/** The two calls update() needs (implemented by SmarterBaseClient). */
export interface UpdateTarget {
  /** Reads the document. */
  get<T extends JsonObject>(collection: string, id: string, options?: CallOptions): Promise<StoredDocument<T>>;
  /** Writes it if the etag still matches. */
  putIfMatch<T extends JsonObject>(
    collection: string,
    id: string,
    data: T,
    etag: string,
    options?: CallOptions & ExpiryOption,
  ): Promise<StoredDocument<T>>;
}

/** True for the errors after which the whole read-modify-write is redone. */
function isConflict(err: unknown): boolean {
  return err instanceof SmarterBaseError && (err.reason === 'ETAG_MISMATCH' || err.reason === 'CONCURRENT_MODIFICATION');
}

/** Runs the CAS loop; rejects with DOCUMENT_NOT_FOUND when the document does not exist, or the last conflict when attempts run out. */
export async function runUpdate<T extends JsonObject>(
  target: UpdateTarget,
  collection: string,
  id: string,
  fn: UpdateFn<T>,
  options: UpdateOptions = {},
): Promise<StoredDocument<T>> {
  const maxAttempts = options.maxAttempts ?? 20;
  const backoff = { initialBackoffMs: options.initialBackoffMs ?? 5, maxBackoffMs: options.maxBackoffMs ?? 250, multiplier: 2 };
  const call: CallOptions = { timeoutMs: options.timeoutMs, signal: options.signal };
  for (let attempt = 1; ; attempt++) {
    const current = await target.get<T>(collection, id, call);
    const next = await fn(structuredClone(current.data), current);
    try {
      // Expiry belongs to a version: without options.expiry the new version takes the collection's default, not the old expiry.
      return await target.putIfMatch<T>(collection, id, next, current.etag, { ...call, expiry: options.expiry });
    } catch (err) {
      if (!isConflict(err) || attempt >= maxAttempts) throw err;
      await sleep(backoffDelayMs(backoff, attempt), options.signal);
    }
  }
}
