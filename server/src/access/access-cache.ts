/**
 * The access control data as one server sees it, with a bounded staleness
 * (docs/adr/0015, "Caching"): no lookup answers from data loaded more than
 * `maxAgeMs` ago. Key records are cached per key id (absent ids too, so a
 * flood of made-up ids does not become a flood of storage reads), roles and
 * principals as one snapshot (they are few, and a certificate identity needs
 * the whole principal list to be matched). A periodic refresh (`refresh`,
 * driven by the caller's timer) re-reads the snapshot and the known keys
 * used since the previous refresh, so the hot path rarely waits; unknown ids
 * and idle keys are never re-read by it (a flood of made-up ids must not turn
 * into a steady storage load) and are dropped once stale. An entry that aged
 * out anyway is re-read inline, and a failed re-read fails the call (closed),
 * never serves stale data.
 */
import type { Clock } from '../common/clock.js';
import { ADMIN_ROLE, ADMIN_ROLE_NAME, type Principal, type Role } from './access-model.js';
import type { AccessStore, ApiKeyRecord } from './access-store.js';

/** The roles and principals at one instant. */
export interface AccessView {
  /** Stored roles by name, plus the built-in admin role. */
  readonly roles: ReadonlyMap<string, Role>;
  /** Principals by name. */
  readonly principals: ReadonlyMap<string, Principal>;
  /** Principals by certificate subject or SAN. */
  readonly byCertificateName: ReadonlyMap<string, Principal>;
}

interface Loaded<T> {
  readonly value: T;
  readonly loadedAt: number;
}

/** A cached key record; `used` says whether a lookup asked for it since the last refresh. */
interface KeyEntry extends Loaded<ApiKeyRecord | undefined> {
  used: boolean;
}

/** Options of AccessCache. */
export interface AccessCacheOptions {
  readonly store: AccessStore;
  readonly clock: Clock;
  /** The staleness bound, ms: the setting authCacheMs (default 5000). */
  readonly maxAgeMs: number;
  /** Most key ids kept (known and unknown); the oldest loaded is dropped first. Default 10 000. */
  readonly maxKeys?: number;
}

/** Builds the view of stored roles and principals. */
export function viewOf(roles: readonly Role[], principals: readonly Principal[]): AccessView {
  const roleMap = new Map<string, Role>(roles.map((r) => [r.name, r]));
  roleMap.set(ADMIN_ROLE_NAME, ADMIN_ROLE);
  const byCert = new Map<string, Principal>();
  for (const p of principals) for (const c of p.certificateNames) byCert.set(c, p);
  return { roles: roleMap, principals: new Map(principals.map((p) => [p.name, p])), byCertificateName: byCert };
}

/** One server's cache of the access control data. */
export class AccessCache {
  private readonly keys = new Map<string, KeyEntry>();
  private readonly keyLoads = new Map<string, Promise<ApiKeyRecord | undefined>>();
  private snapshot: Loaded<AccessView> | undefined;
  private snapshotLoad: Promise<AccessView> | undefined;
  private readonly maxKeys: number;

  constructor(private readonly opts: AccessCacheOptions) {
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  private fresh(loadedAt: number): boolean {
    return this.opts.clock.now() - loadedAt < this.opts.maxAgeMs;
  }

  /** The record of key `id` (undefined when none), loaded less than maxAgeMs ago. */
  async key(id: string): Promise<ApiKeyRecord | undefined> {
    const hit = this.keys.get(id);
    if (hit !== undefined && this.fresh(hit.loadedAt)) {
      hit.used = true;
      return hit.value;
    }
    return this.loadKey(id, true);
  }

  private loadKey(id: string, used: boolean): Promise<ApiKeyRecord | undefined> {
    const pending = this.keyLoads.get(id);
    if (pending !== undefined) return pending;
    const startedAt = this.opts.clock.now();
    const load = this.opts.store
      .getKey(id)
      .then((record) => {
        this.keys.delete(id);
        this.keys.set(id, { value: record, loadedAt: startedAt, used });
        while (this.keys.size > this.maxKeys) {
          const oldest = this.keys.keys().next().value;
          if (oldest === undefined) break;
          this.keys.delete(oldest);
        }
        return record;
      })
      .finally(() => this.keyLoads.delete(id));
    this.keyLoads.set(id, load);
    return load;
  }

  /** The roles and principals, loaded less than maxAgeMs ago. */
  async view(): Promise<AccessView> {
    if (this.snapshot !== undefined && this.fresh(this.snapshot.loadedAt)) return this.snapshot.value;
    return this.loadView();
  }

  private loadView(): Promise<AccessView> {
    if (this.snapshotLoad !== undefined) return this.snapshotLoad;
    const startedAt = this.opts.clock.now();
    const load = Promise.all([this.opts.store.allRoles(), this.opts.store.allPrincipals()])
      .then(([roles, principals]) => {
        const view = viewOf(roles, principals);
        this.snapshot = { value: view, loadedAt: startedAt };
        return view;
      })
      .finally(() => (this.snapshotLoad = undefined));
    this.snapshotLoad = load;
    return load;
  }

  /**
   * The periodic refresh: re-reads the snapshot and the known keys used since
   * the last refresh; drops stale unknown ids and stale idle keys. Errors are
   * the caller's to log.
   */
  async refresh(): Promise<void> {
    await this.loadView();
    for (const [id, entry] of [...this.keys]) {
      if (entry.value === undefined || !entry.used) {
        if (!this.fresh(entry.loadedAt)) this.keys.delete(id);
        continue;
      }
      await this.loadKey(id, false);
    }
  }

  /** Forgets key `id` and the snapshot, so this server sees its own change at once (AccessService writes). */
  invalidate(keyId?: string): void {
    if (keyId !== undefined) this.keys.delete(keyId);
    this.snapshot = undefined;
  }
}
