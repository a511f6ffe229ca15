/**
 * The engine's side of document expiry (docs/streams.md, "Document expiry
 * (TTL)"): resolves a write's Expiration to the version's expire time (the
 * collection default when the write has none), marks the collection and
 * schedules the purge before the write, and refuses expiring writes when no
 * ExpiryPort is configured (Redis coordination in this version).
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
    this.noteExpiring(collection, id, state.env.meta.expireTime);
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
      throw new DbError(
        'failed_precondition',
        'TTL_NOT_AVAILABLE',
        'document expiry needs in-process coordination (SB_COORDINATION=local) in this version',
        {
          metadata: { collection },
        },
      );
    }
    await this.port.markExpiring(collection, signal);
    this.port.schedule(collection, id, at);
    return at;
  }

  /** True when a write of `collection` with `exp` may get an expire time (it has one, or the collection a default TTL). */
  mayExpire(collection: string, exp: ExpirationInput | undefined): boolean {
    return exp !== undefined ? exp.kind !== 'never' : this.port?.defaultTtlMs(collection) !== undefined;
  }

  /** Notes a version of (collection, id) that expires at `at` (a landed write, or a read that met it expired). */
  noteExpiring(collection: string, id: string, at: Date | undefined): void {
    if (at !== undefined) this.port?.schedule(collection, id, at);
  }

  /** True when an index-only count of the collection may count expired documents. */
  countsNeedFetch(collection: string): boolean {
    return this.port?.isExpiring(collection) ?? false;
  }

  /** True when a keys-only listing must re-read `id` (it is due on the schedule). */
  mayBeExpired(collection: string, id: string): boolean {
    return this.port?.isDue(collection, id, this.clock.now()) ?? false;
  }
}
