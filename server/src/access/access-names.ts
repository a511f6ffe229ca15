/**
 * Validation of what AccessService stores: role and principal names,
 * name patterns, certificate names, and the sizes the contract promises
 * (proto/smarterbase/v1/access.proto).
 */
import { invalid } from '../errors/db-error.js';
import { VERBS, type Permission, type Principal, type Role, type Verb } from './access-model.js';

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const PATTERN_RE = /^(\*|[A-Za-z0-9_.-]{1,256}\*?)$/;

/** Limits of stored access records. */
export const ACCESS_LIMITS = Object.freeze({ permissions: 100, patterns: 100, roles: 50, certificateNames: 20, description: 1024 });

/** Throws INVALID_ARGUMENT unless `name` is 1-64 characters of [A-Za-z0-9_.-]. */
export function checkName(name: string, field: string): void {
  if (!NAME_RE.test(name)) throw invalid('INVALID_ARGUMENT', field, `${field} must be 1-64 characters of [A-Za-z0-9_.-]`);
}

function checkPatterns(patterns: readonly string[], field: string): void {
  if (patterns.length > ACCESS_LIMITS.patterns)
    throw invalid('INVALID_ARGUMENT', field, `${field} has more than ${ACCESS_LIMITS.patterns} patterns`);
  patterns.forEach((p, i) => {
    if (!PATTERN_RE.test(p))
      throw invalid('INVALID_ARGUMENT', `${field}[${i}]`, `${field}[${i}] must be a name, a name followed by *, or *`);
  });
}

function checkPermission(p: Permission, field: string): void {
  if (p.verbs.length === 0) throw invalid('INVALID_ARGUMENT', `${field}.verbs`, `${field}.verbs must name at least one verb`);
  p.verbs.forEach((v: Verb, i) => {
    if (!VERBS.includes(v)) throw invalid('INVALID_ARGUMENT', `${field}.verbs[${i}]`, `${field}.verbs[${i}] is not a verb`);
  });
  checkPatterns(p.collections, `${field}.collections`);
  checkPatterns(p.locks, `${field}.locks`);
  checkPatterns(p.logs, `${field}.logs`);
}

/** Throws INVALID_ARGUMENT unless `role` may be stored. */
export function checkRole(role: Role): void {
  checkName(role.name, 'role.name');
  if (role.permissions.length > ACCESS_LIMITS.permissions)
    throw invalid('INVALID_ARGUMENT', 'role.permissions', `a role has at most ${ACCESS_LIMITS.permissions} permissions`);
  role.permissions.forEach((p, i) => checkPermission(p, `role.permissions[${i}]`));
  if (role.description.length > ACCESS_LIMITS.description)
    throw invalid('INVALID_ARGUMENT', 'role.description', `role.description is longer than ${ACCESS_LIMITS.description} characters`);
}

/** Throws INVALID_ARGUMENT unless `p` may be stored. */
export function checkPrincipal(p: Principal): void {
  checkName(p.name, 'principal.name');
  if (p.roles.length > ACCESS_LIMITS.roles)
    throw invalid('INVALID_ARGUMENT', 'principal.roles', `a principal has at most ${ACCESS_LIMITS.roles} roles`);
  p.roles.forEach((r, i) => checkName(r, `principal.roles[${i}]`));
  if (p.certificateNames.length > ACCESS_LIMITS.certificateNames)
    throw invalid(
      'INVALID_ARGUMENT',
      'principal.certificate_names',
      `a principal answers to at most ${ACCESS_LIMITS.certificateNames} certificate names`,
    );
  p.certificateNames.forEach((c, i) => {
    if (c.length === 0 || c.length > 1024)
      throw invalid('INVALID_ARGUMENT', `principal.certificate_names[${i}]`, 'a certificate name has 1-1024 characters');
  });
  const l = p.limits;
  if (l?.callsPerSecond !== undefined && !(Number.isFinite(l.callsPerSecond) && l.callsPerSecond > 0 && l.callsPerSecond <= 10_000_000))
    throw invalid(
      'INVALID_ARGUMENT',
      'principal.limits.calls_per_second',
      'calls_per_second is above 0 and at most 10,000,000 (0: the default)',
    );
  if (l?.burst !== undefined && !(l.burst > 0 && l.burst <= 10_000_000))
    throw invalid('INVALID_ARGUMENT', 'principal.limits.burst', 'burst is 1 to 10,000,000 (0: the default)');
  if (l?.maxStreams !== undefined && !(l.maxStreams > 0 && l.maxStreams <= 1_000_000))
    throw invalid('INVALID_ARGUMENT', 'principal.limits.max_streams', 'max_streams is 1 to 1,000,000 (0: the default)');
}
