/**
 * The operations behind AccessService: API keys, roles and principals, each
 * validated, stored durably (access-store.ts) and dropped from this server's
 * cache so that it sees its own change at once (others within the staleness
 * bound). Key secrets are returned once by createKey and never again.
 */
import type { Clock, RandomSource } from '../common/clock.js';
import { DbError, invalid } from '../errors/db-error.js';
import type { AccessCache } from './access-cache.js';
import { ADMIN_ROLE, ADMIN_ROLE_NAME, type Principal, type Role } from './access-model.js';
import { checkName, checkPrincipal, checkRole } from './access-names.js';
import type { AccessStore, ApiKeyRecord, Page } from './access-store.js';
import { hashSecret, isKeyId, newKey } from './api-key.js';

/** A page of a listing as AccessService returns it. */
export interface ListResult<T> {
  readonly items: T[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

function notFound(kind: string, name: string): DbError {
  return new DbError('not_found', 'ACCESS_NOT_FOUND', `no ${kind} "${name}"`, { metadata: { kind, name } });
}

function pageSizeOf(n: number): number {
  if (n < 0 || n > 1000) throw invalid('INVALID_ARGUMENT', 'page_size', 'page_size must be 0-1000');
  return n === 0 ? 100 : n;
}

function afterOf(token: string): string | undefined {
  if (token === '') return undefined;
  const after = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(after)) throw invalid('INVALID_PAGE_TOKEN', 'page_token', 'page_token is malformed');
  return after;
}

function result<T>(page: Page<T>): ListResult<T> {
  return { items: page.items, nextPageToken: page.last === undefined ? '' : Buffer.from(page.last, 'utf8').toString('base64url') };
}

/** Options of AccessAdmin. */
export interface AccessAdminOptions {
  readonly store: AccessStore;
  readonly cache: AccessCache;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** Manages keys, roles and principals. */
export class AccessAdmin {
  constructor(private readonly opts: AccessAdminOptions) {}

  /** A new key of `principal`: its record and its key string (the only copy). */
  async createKey(principal: string, expireTimeMs?: number, signal?: AbortSignal): Promise<{ record: ApiKeyRecord; token: string }> {
    checkName(principal, 'principal');
    const now = this.opts.clock.now();
    if (expireTimeMs !== undefined && expireTimeMs <= now)
      throw invalid('INVALID_ARGUMENT', 'expire_time', 'expire_time must be in the future');
    for (;;) {
      const key = newKey(this.opts.random);
      const record: ApiKeyRecord = {
        id: key.id,
        principal,
        secretSha256: hashSecret(key.secret),
        createTimeMs: now,
        ...(expireTimeMs === undefined ? {} : { expireTimeMs }),
        revoked: false,
      };
      // A 64-bit id collision is all but impossible; on one, draw again rather than overwrite.
      if (await this.opts.store.createKey(record, signal)) {
        this.opts.cache.invalidate(key.id);
        return { record, token: key.token };
      }
    }
  }

  /** A page of key records (never secrets), optionally only those of `principal`. */
  async listKeys(pageSize: number, pageToken: string, principal: string, signal?: AbortSignal): Promise<ListResult<ApiKeyRecord>> {
    const page = await this.opts.store.listKeys(pageSizeOf(pageSize), afterOf(pageToken), signal);
    const out = result(page);
    return principal === '' ? out : { ...out, items: out.items.filter((k) => k.principal === principal) };
  }

  /** Revokes key `id`; its record after. */
  async revokeKey(id: string, signal?: AbortSignal): Promise<ApiKeyRecord> {
    if (!isKeyId(id)) throw invalid('INVALID_ARGUMENT', 'key_id', 'key_id must be 16 lowercase hex characters');
    const record = await this.opts.store.revokeKey(id, signal);
    if (record === undefined) throw notFound('apiKey', id);
    this.opts.cache.invalidate(id);
    return record;
  }

  /** Creates or replaces a role (not the built-in admin). */
  async putRole(role: Role, signal?: AbortSignal): Promise<Role> {
    checkRole(role);
    if (role.name === ADMIN_ROLE_NAME) throw invalid('INVALID_ARGUMENT', 'role.name', 'the role "admin" is built in and cannot be changed');
    await this.opts.store.putRole(role, signal);
    this.opts.cache.invalidate();
    return role;
  }

  /** The role `name` (the built-in admin included). */
  async getRole(name: string, signal?: AbortSignal): Promise<Role> {
    checkName(name, 'name');
    if (name === ADMIN_ROLE_NAME) return ADMIN_ROLE;
    const role = await this.opts.store.getRole(name, signal);
    if (role === undefined) throw notFound('role', name);
    return role;
  }

  /** A page of roles; the first page starts with the built-in admin. */
  async listRoles(pageSize: number, pageToken: string, signal?: AbortSignal): Promise<ListResult<Role>> {
    const out = result(await this.opts.store.listRoles(pageSizeOf(pageSize), afterOf(pageToken), signal));
    return pageToken === '' ? { ...out, items: [ADMIN_ROLE, ...out.items] } : out;
  }

  /** Deletes a role; false when there was none. */
  async deleteRole(name: string, signal?: AbortSignal): Promise<boolean> {
    checkName(name, 'name');
    if (name === ADMIN_ROLE_NAME) throw invalid('INVALID_ARGUMENT', 'name', 'the role "admin" is built in and cannot be deleted');
    const deleted = await this.opts.store.deleteRole(name, signal);
    this.opts.cache.invalidate();
    return deleted;
  }

  /** Creates or replaces a principal; every role it names must exist. */
  async setPrincipal(principal: Principal, signal?: AbortSignal): Promise<Principal> {
    checkPrincipal(principal);
    for (const r of principal.roles)
      if (r !== ADMIN_ROLE_NAME && (await this.opts.store.getRole(r, signal)) === undefined) throw notFound('role', r);
    await this.opts.store.putPrincipal(principal, signal);
    this.opts.cache.invalidate();
    return principal;
  }

  /** The principal `name`. */
  async getPrincipal(name: string, signal?: AbortSignal): Promise<Principal> {
    checkName(name, 'name');
    const p = await this.opts.store.getPrincipal(name, signal);
    if (p === undefined) throw notFound('principal', name);
    return p;
  }

  /** A page of principals. */
  async listPrincipals(pageSize: number, pageToken: string, signal?: AbortSignal): Promise<ListResult<Principal>> {
    return result(await this.opts.store.listPrincipals(pageSizeOf(pageSize), afterOf(pageToken), signal));
  }
}
