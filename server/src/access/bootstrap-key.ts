/**
 * The first admin key (docs/security.md, "Bootstrap"): the key string of the
 * setting authBootstrapKeyFile is stored (hashed) as a key of principal
 * "bootstrap", and that principal is bound to the built-in role admin, when
 * no key with its id exists yet. A key revoked since is left revoked: revoking
 * it is how an operator rotates the bootstrap key away.
 */
import type { Clock } from '../common/clock.js';
import { invalid } from '../errors/db-error.js';
import { ADMIN_ROLE_NAME } from './access-model.js';
import type { AccessStore } from './access-store.js';
import { hashSecret, parseKey } from './api-key.js';

/** The principal of the bootstrap key. */
export const BOOTSTRAP_PRINCIPAL = 'bootstrap';

/** What ensureBootstrapKey did. */
export type BootstrapOutcome = 'created' | 'exists' | 'revoked';

/** Stores the bootstrap key `token` unless its id is stored already. */
export async function ensureBootstrapKey(store: AccessStore, token: string, clock: Clock, signal?: AbortSignal): Promise<BootstrapOutcome> {
  const parsed = parseKey(token.trim());
  if (parsed === undefined)
    throw invalid('INVALID_ARGUMENT', 'authBootstrapKeyFile', 'the bootstrap key file must hold one key "sbk_<16 hex>_<43 base64url>"');
  const existing = await store.getKey(parsed.id, signal);
  if (existing !== undefined) return existing.revoked ? 'revoked' : 'exists';
  const principal = await store.getPrincipal(BOOTSTRAP_PRINCIPAL, signal);
  if (principal === undefined)
    await store.putPrincipal({ name: BOOTSTRAP_PRINCIPAL, roles: [ADMIN_ROLE_NAME], certificateNames: [] }, signal);
  const created = await store.createKey(
    { id: parsed.id, principal: BOOTSTRAP_PRINCIPAL, secretSha256: hashSecret(parsed.secret), createTimeMs: clock.now(), revoked: false },
    signal,
  );
  return created ? 'created' : 'exists';
}
