/**
 * Commit of a single write without a request_id: one object is atomic by
 * itself, so it runs as one conditional write through the single-document
 * write path (read, check the precondition, write that exact version) — no
 * intent, no staging, the cost of a Put. Its errors are a transaction's
 * (PRECONDITION_FAILED with a PreconditionFailure), and it is as isolated
 * from multi-document transactions as a Put is (docs/transactions.md).
 */
import { v7 as uuidv7 } from 'uuid';
import { DbError } from '../errors/db-error.js';
import type { CallContext } from '../api/call-context.js';
import type { LockGuardInput } from '../api/lock-api.js';
import type { CommitOutcome, CommitWrite } from './commit-types.js';
import type { TxnWriter } from './txn-ports.js';
import { preconditionViolations } from './commit-plan.js';

/** Runs `write` as a one-document transaction. */
export async function commitSingle(
  writer: Pick<TxnWriter, 'writeChecked'>,
  now: () => Date,
  ctx: CallContext,
  write: CommitWrite,
  guard: LockGuardInput | undefined,
): Promise<CommitOutcome> {
  const { collection, id } = write;
  const op =
    write.op === 'set'
      ? { kind: 'set' as const, data: write.data!, ...(write.expireTime === undefined ? {} : { expireTime: write.expireTime }) }
      : { kind: write.op };
  const check = (current: { etag: string } | undefined): void => {
    const violations = preconditionViolations([write], [current]);
    if (violations.length > 0) {
      throw new DbError('aborted', 'PRECONDITION_FAILED', '1 precondition(s) of the transaction failed', {
        preconditionViolations: violations,
        metadata: { failed: '1' },
      });
    }
  };
  const after = await writer.writeChecked(ctx, collection, id, op, check, guard);
  return {
    results: [{ collection, id, etag: after?.etag ?? '', version: after?.version ?? 0 }],
    transactionId: uuidv7(),
    commitTime: now(),
  };
}
