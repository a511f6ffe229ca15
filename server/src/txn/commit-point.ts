/**
 * The commit point of a transaction: its intent's flip from pending to
 * committed, one conditional write. When that write fails without a refused
 * condition (a timeout, a reset connection, the caller cancelling), the flip
 * may have landed anyway: the answer, not the write, was lost. Undoing the
 * staged documents then would roll back a transaction whose intent says
 * "committed" — readers and the recovery sweep trust the intent, so the
 * transaction would be reported committed (to a retry with its request_id)
 * with none of its writes applied. So the intent is read back: committed →
 * the flip landed and the runner goes on as if it had been answered; still
 * our pending version → it did not land and the attempt may be undone; the
 * read fails too → the outcome stays unknown and nothing may be undone
 * (recovery finishes the transaction either way once storage answers).
 */
import { DbError } from '../errors/db-error.js';
import { ConditionFailedError } from '../storage/blob-store.js';
import type { IntentStore, StoredIntent } from './intent.js';

/** The flip's outcome is unknown: the attempt must be left as it is, for recovery. `cause` is the flip's error. */
export class CommitOutcomeUnknown extends Error {
  constructor(override readonly cause: unknown) {
    super('the commit point outcome is unknown');
  }
}

/**
 * Flips `si` to committed. Throws ConditionFailedError when another server
 * aborted it, the flip's own error when it certainly did not land, and
 * CommitOutcomeUnknown when it cannot be told.
 */
export async function flipToCommitted(intents: IntentStore, si: StoredIntent, signal: AbortSignal): Promise<StoredIntent> {
  try {
    return await intents.transition(si, 'committed', signal);
  } catch (e) {
    if (e instanceof ConditionFailedError) throw e;
    // Read back without the call's signal: a cancelled caller must not leave the outcome unknown.
    const now = await intents.read(si.intent.txid).catch(() => undefined);
    if (now?.intent.state === 'committed') return now;
    if (now !== undefined && (now.etag === si.etag || now.intent.state === 'aborted')) throw e; // the flip did not land
    throw new CommitOutcomeUnknown(e);
  }
}

/** What the caller is told when the outcome is unknown: UNAVAILABLE, retry with the same request_id to learn it. */
export function unknownOutcomeError(e: CommitOutcomeUnknown): DbError {
  if (e.cause instanceof DbError && e.cause.kind !== 'unavailable') return e.cause;
  return new DbError(
    'unavailable',
    'BACKEND_UNAVAILABLE',
    'storage did not confirm the commit; retry with the same request_id to learn the outcome',
    { cause: e.cause },
  );
}
