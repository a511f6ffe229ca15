/**
 * The engine's side of document expiry (docs/streams.md, "Document expiry
 * (TTL)"): resolves a write's Expiration to the version's expire time (the
 * collection default when the write has none), marks the collection and
 * schedules the purge before the write, and refuses expiring writes when no
 * ExpiryPort is configured.
 */
import { DbError } from '../errors/db-error.js';
import { validateCollection } from '../model/keys.js';
import type { Clock } from '../common/clock.js';
import type { ExpiryPort } from '../api/expiry-port.js';
import { expiredAt, type DocState, type EnvelopeMeta } from '../format/envelope.js';
import { checkExpiration, resolveExpireTime, type ExpirationInput } from '../model/expiration.js';

/** Resolves and prepares expire times of writes (see the file comment). */
export class ExpiryPolicy {
  constructor(
    private readonly clock: Clock,
    /** The schedule and markers; undefined: expiry is not available. */
    readonly port: ExpiryPort | undefined,
  ) {}

  /** True when the version `meta` describes has expired by this server's clock. */
  isExpired(meta: Pick<EnvelopeMeta, 'expireTime'>): boolean {
    return expiredAt(meta, this.clock.now());
  }

  /**
   * `state` when it is a live version; undefined when it is absent or
   * expired (an expired one is put back on the schedule: reads that meet it
   * make sure it is purged).
   */
  live<S extends DocState>(collection: string, id: string, state: S | undefined): S | undefined {
    if (state === undefined || !this.isExpired(state.env.meta)) return state;
    const at = state.env.meta.expireTime;
    if (at !== undefined) this.port?.restore(collection, id, at);
    return undefined;
  }

  /** Validates `exp` (INVALID_ARGUMENT) without resolving it. */
  check(exp: ExpirationInput | undefined, field?: string): void {
    checkExpiration(exp, field);
  }

  /**
   * The expire time of a version of `collection` written now with `exp`
   * (undefined: none). When there is one, the collection is marked expiring
   * and (collection, id) scheduled before this returns. FAILED_PRECONDITION
   * TTL_NOT_AVAILABLE when the version would expire and expiry is not available.
   */
  async resolve(collection: string, id: string, exp: ExpirationInput | undefined, signal?: AbortSignal): Promise<Date | undefined> {
    checkExpiration(exp);
    validateCollection(collection);
    const at = resolveExpireTime(exp, this.port?.defaultTtlMs(collection), this.clock.now());
    if (at === undefined) return undefined;
    if (this.port === undefined) {
      throw new DbError('failed_precondition', 'TTL_NOT_AVAILABLE', 'document expiry is not available on this server', {
        metadata: { collection },
      });
    }
    await this.port.markExpiring(collection, signal);
    await this.port.schedule(collection, id, at, signal);
    return at;
  }

  /** True when a write of `collection` with `exp` may get an expire time (it has one, or the collection a default TTL). */
  mayExpire(collection: string, exp: ExpirationInput | undefined): boolean {
    return exp !== undefined ? exp.kind !== 'never' : this.port?.defaultTtlMs(collection) !== undefined;
  }

  /**
   * Notes a landed version of (collection, id) that expires at `at`: its
   * entry is set again, in the background (of two concurrent writes the
   * later landing one then usually holds it; the purger re-reads anyway).
   */
  noteExpiring(collection: string, id: string, at: Date | undefined): void {
    if (at === undefined || this.port === undefined) return;
    try {
      void Promise.resolve(this.port.schedule(collection, id, at)).catch(() => undefined);
    } catch {
      // a hint: resolve() scheduled it before the write
    }
  }

  /** True when an index-only count of the collection may count expired documents. */
  countsNeedFetch(collection: string): boolean {
    return this.port?.isExpiring(collection) ?? false;
  }

  /** The ids among `ids` a keys-only listing must re-read (due, or maybe due, on the schedule). */
  async mayBeExpired(collection: string, ids: readonly string[], signal?: AbortSignal): Promise<ReadonlySet<string>> {
    if (this.port === undefined || ids.length === 0 || !this.port.isExpiring(collection)) return new Set();
    return this.port.dueAmong(collection, ids, this.clock.now(), signal);
  }
}
