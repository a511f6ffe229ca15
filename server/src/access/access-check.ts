/**
 * The authorisation decision of a call (docs/adr/0015, "Authorisation"):
 * every resource the call touches must be allowed, or the whole call is
 * refused with PERMISSION_DENIED naming the first resource refused; nothing
 * is read or written since the check runs before the handler.
 */
import { DbError } from '../errors/db-error.js';
import { allows, allowsSome, resourceText, type Resource, type ResourceKind, type Verb } from './access-model.js';
import type { Caller } from './authenticator.js';

function denied(caller: Caller, verb: Verb, resource: string): DbError {
  return new DbError('permission_denied', 'PERMISSION_DENIED', `principal "${caller.principal}" may not ${verb} ${resource}`, {
    metadata: { principal: caller.principal, verb, resource },
  });
}

/** Throws PERMISSION_DENIED unless `caller` may do `verb` on every one of `resources`. */
export function checkAllowed(caller: Caller, verb: Verb, resources: readonly Resource[]): void {
  for (const r of resources) if (!allows(caller.roles, verb, r)) throw denied(caller, verb, resourceText(r));
}

/** Throws PERMISSION_DENIED unless `caller` may do `verb` on some resource of `kind` (calls naming a capability, e.g. an upload id). */
export function checkAllowedSome(caller: Caller, verb: Verb, kind: ResourceKind): void {
  if (!allowsSome(caller.roles, verb, kind)) throw denied(caller, verb, `${kind}:*`);
}
