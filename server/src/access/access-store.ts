/**
 * The durable access control data in the BlobStore (docs/adr/0015): API key
 * records under `_access/keys/<id>`, roles under `_access/roles/<name>`,
 * principals under `_access/principals/<name>`, each a small JSON object.
 * Key records are created with If-None-Match and revoked with If-Match, so
 * two servers never overwrite each other's change; roles and principals are
 * whole-record replacements (last writer wins, as PutRole/SetPrincipal say).
 */
import { DbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import { ACCESS_KEYS_PREFIX, ACCESS_PRINCIPALS_PREFIX, ACCESS_ROLES_PREFIX } from '../format/bucket-layout.js';
import type { Principal, Role } from './access-model.js';

/** A stored API key: never its secret, only the secret's SHA-256. */
export interface ApiKeyRecord {
  /** The public key id (16 hex characters). */
  readonly id: string;
  /** The principal the key authenticates as. */
  readonly principal: string;
  /** Lowercase hex SHA-256 of the secret. */
  readonly secretSha256: string;
  /** Creation time, ms since the epoch. */
  readonly createTimeMs: number;
  /** When the key stops working, ms since the epoch; undefined = never. */
  readonly expireTimeMs?: number;
  /** True once revoked; final. */
  readonly revoked: boolean;
}

/** One page of a listing. */
export interface Page<T> {
  readonly items: T[];
  /** The last name of this page when more may follow; undefined on the last page. */
  readonly last?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function corrupt(key: string, cause: unknown): DbError {
  return new DbError('internal', 'INTERNAL_ERROR', `stored access record ${key} is not valid JSON`, { metadata: { key }, cause });
}

/** Reads and writes the access control records of one store. */
export class AccessStore {
  constructor(private readonly store: BlobStore) {}

  private async read<T>(key: string, signal?: AbortSignal): Promise<{ value: T; etag: string } | undefined> {
    const blob = await this.store.get(key, signal);
    if (blob === undefined) return undefined;
    try {
      return { value: JSON.parse(decoder.decode(blob.body)) as T, etag: blob.etag };
    } catch (e) {
      throw corrupt(key, e);
    }
  }

  private async page<T>(prefix: string, limit: number, after: string | undefined, signal?: AbortSignal): Promise<Page<T>> {
    const listed = await this.store.list({ prefix, limit, ...(after === undefined ? {} : { startAfter: prefix + after }) }, signal);
    const items: T[] = [];
    for (const key of listed.keys) {
      const got = await this.read<T>(key, signal);
      if (got !== undefined) items.push(got.value);
    }
    const lastKey = listed.keys.at(-1);
    return { items, ...(listed.isTruncated && lastKey !== undefined ? { last: lastKey.slice(prefix.length) } : {}) };
  }

  private async all<T>(prefix: string, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    let after: string | undefined;
    for (;;) {
      const p = await this.page<T>(prefix, 1000, after, signal);
      out.push(...p.items);
      if (p.last === undefined) return out;
      after = p.last;
    }
  }

  /** The key record of `id`, or undefined. */
  async getKey(id: string, signal?: AbortSignal): Promise<ApiKeyRecord | undefined> {
    return (await this.read<ApiKeyRecord>(ACCESS_KEYS_PREFIX + id, signal))?.value;
  }

  /** Stores a new key record; false when a record with its id exists already (nothing written). */
  async createKey(record: ApiKeyRecord, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.store.put(ACCESS_KEYS_PREFIX + record.id, encoder.encode(JSON.stringify(record)), { ifNoneMatch: true }, signal);
      return true;
    } catch (e) {
      if (e instanceof ConditionFailedError) return false;
      throw e;
    }
  }

  /** Marks key `id` revoked (compare-and-swap, retried on a lost race); the record after, or undefined when absent. */
  async revokeKey(id: string, signal?: AbortSignal): Promise<ApiKeyRecord | undefined> {
    for (;;) {
      const got = await this.read<ApiKeyRecord>(ACCESS_KEYS_PREFIX + id, signal);
      if (got === undefined) return undefined;
      if (got.value.revoked) return got.value;
      const next: ApiKeyRecord = { ...got.value, revoked: true };
      try {
        await this.store.put(ACCESS_KEYS_PREFIX + id, encoder.encode(JSON.stringify(next)), { ifMatch: got.etag }, signal);
        return next;
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
      }
    }
  }

  /** A page of key records in id order, after key id `after`. */
  listKeys(limit: number, after?: string, signal?: AbortSignal): Promise<Page<ApiKeyRecord>> {
    return this.page(ACCESS_KEYS_PREFIX, limit, after, signal);
  }

  /** The role `name`, or undefined. */
  async getRole(name: string, signal?: AbortSignal): Promise<Role | undefined> {
    return (await this.read<Role>(ACCESS_ROLES_PREFIX + name, signal))?.value;
  }

  /** Creates or replaces a role. */
  async putRole(role: Role, signal?: AbortSignal): Promise<void> {
    await this.store.put(ACCESS_ROLES_PREFIX + role.name, encoder.encode(JSON.stringify(role)), undefined, signal);
  }

  /** Deletes a role; false when there was none. */
  deleteRole(name: string, signal?: AbortSignal): Promise<boolean> {
    return this.store.delete(ACCESS_ROLES_PREFIX + name, undefined, signal);
  }

  /** A page of roles in name order. */
  listRoles(limit: number, after?: string, signal?: AbortSignal): Promise<Page<Role>> {
    return this.page(ACCESS_ROLES_PREFIX, limit, after, signal);
  }

  /** Every stored role (the cache's snapshot). */
  allRoles(signal?: AbortSignal): Promise<Role[]> {
    return this.all(ACCESS_ROLES_PREFIX, signal);
  }

  /** The principal `name`, or undefined. */
  async getPrincipal(name: string, signal?: AbortSignal): Promise<Principal | undefined> {
    return (await this.read<Principal>(ACCESS_PRINCIPALS_PREFIX + name, signal))?.value;
  }

  /** Creates or replaces a principal. */
  async putPrincipal(principal: Principal, signal?: AbortSignal): Promise<void> {
    await this.store.put(ACCESS_PRINCIPALS_PREFIX + principal.name, encoder.encode(JSON.stringify(principal)), undefined, signal);
  }

  /** A page of principals in name order. */
  listPrincipals(limit: number, after?: string, signal?: AbortSignal): Promise<Page<Principal>> {
    return this.page(ACCESS_PRINCIPALS_PREFIX, limit, after, signal);
  }

  /** Every stored principal (the cache's snapshot). */
  allPrincipals(signal?: AbortSignal): Promise<Principal[]> {
    return this.all(ACCESS_PRINCIPALS_PREFIX, signal);
  }
}
