/**
 * The access control model (docs/adr/0015-authentication-and-authorisation.md):
 * verbs, permissions over name patterns, roles, principals, and the one
 * decision `allows(roles, verb, resource)`. Pure: no storage, no wire types.
 */

/** What a permission lets a principal do. */
export type Verb = 'read' | 'write' | 'admin' | 'lock' | 'stream';

/** Every verb, in the contract's order. */
export const VERBS: readonly Verb[] = ['read', 'write', 'admin', 'lock', 'stream'];

/**
 * The kinds of resource a call touches: collections (documents, queries,
 * indexes, Watch, objects), locks, logs (their own kind: a log is not a
 * collection even when named alike), and the access control data itself.
 */
export type ResourceKind = 'collection' | 'lock' | 'log' | 'access';

/** One thing a call touches. */
export interface Resource {
  readonly kind: ResourceKind;
  /** The collection, lock or log name; '' for the access control data. */
  readonly name: string;
}

/** Grants `verbs` on every resource one of the patterns matches. */
export interface Permission {
  readonly verbs: readonly Verb[];
  /** Collection name patterns: exact, `prefix*`, or `*`. */
  readonly collections: readonly string[];
  /** Lock name patterns. */
  readonly locks: readonly string[];
  /** Log name patterns. */
  readonly logs: readonly string[];
  /** True grants the verbs on the access control data (AccessService needs admin here). */
  readonly accessControl: boolean;
}

/** A named set of permissions. */
export interface Role {
  readonly name: string;
  readonly permissions: readonly Permission[];
  readonly description: string;
}

/** A caller identity: its roles and the certificate names it answers to. */
export interface Principal {
  readonly name: string;
  readonly roles: readonly string[];
  /** Verified client certificate subjects or SANs, compared exactly. */
  readonly certificateNames: readonly string[];
  /** Its own limits (docs/security.md, "Limits"); absent fields use the server's defaults. */
  readonly limits?: PrincipalLimits;
}

/** A principal's own limits; each absent field falls back to the server's setting. */
export interface PrincipalLimits {
  /** Calls per second across the servers. */
  readonly callsPerSecond?: number;
  /** The bucket size. */
  readonly burst?: number;
  /** Streaming calls open at once on one server. */
  readonly maxStreams?: number;
}

/** The name of the built-in role that grants everything. */
export const ADMIN_ROLE_NAME = 'admin';

/** The built-in role: every verb on every resource. It is never stored. */
export const ADMIN_ROLE: Role = Object.freeze({
  name: ADMIN_ROLE_NAME,
  description: 'Built in: every verb on every collection, lock, log and the access control data.',
  permissions: [{ verbs: VERBS, collections: ['*'], locks: ['*'], logs: ['*'], accessControl: true }],
});

/** True when `pattern` (exact name, `prefix*`, or `*`) matches `name`. */
export function matchesPattern(pattern: string, name: string): boolean {
  if (pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

function patternsOf(p: Permission, kind: ResourceKind): readonly string[] {
  if (kind === 'collection') return p.collections;
  if (kind === 'lock') return p.locks;
  if (kind === 'log') return p.logs;
  return [];
}

/** True when `p` grants `verb` on `r`. */
export function permits(p: Permission, verb: Verb, r: Resource): boolean {
  if (!p.verbs.includes(verb)) return false;
  if (r.kind === 'access') return p.accessControl;
  return patternsOf(p, r.kind).some((pattern) => matchesPattern(pattern, r.name));
}

/** True when any permission of any of `roles` grants `verb` on `r`. */
export function allows(roles: readonly Role[], verb: Verb, r: Resource): boolean {
  return roles.some((role) => role.permissions.some((p) => permits(p, verb, r)));
}

/** True when some permission grants `verb` on some resource of `kind` (used where the resource is named only by a capability, e.g. an upload id). */
export function allowsSome(roles: readonly Role[], verb: Verb, kind: ResourceKind): boolean {
  return roles.some((role) =>
    role.permissions.some((p) => p.verbs.includes(verb) && (kind === 'access' ? p.accessControl : patternsOf(p, kind).length > 0)),
  );
}

/** The text of a resource in errors and logs: "collection:orders", "lock:jobs", "log:audit", "access". */
export function resourceText(r: Resource): string {
  return r.kind === 'access' ? 'access' : `${r.kind}:${r.name}`;
}
