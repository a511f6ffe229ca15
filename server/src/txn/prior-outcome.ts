/**
 * What a Commit with a request_id finds of an earlier attempt of the same
 * request (docs/transactions.md, idempotency): its recorded result, or the
 * result of finishing it when its server died after the commit point, or
 * nothing (no record, or an attempt that never committed: its record is
 * removed and the request runs anew). The caller holds the request_id's
 * mutex, so no other attempt of the request runs meanwhile.
 */
import { DbError } from '../errors/db-error.js';
import type { CommitOutcome } from './commit-types.js';
import type { RequestRecords } from './request-records.js';
import type { TxnRecovery } from './txn-recovery.js';
import { contention } from './txn-mutexes.js';

/** The recorded outcome of an earlier Commit with this request_id, finishing it if its server died. */
export async function priorOutcome(
  requests: RequestRecords,
  recovery: Pick<TxnRecovery, 'recover'>,
  request: { readonly hash: string; readonly fingerprint: string; readonly requestId: string },
  signal: AbortSignal,
): Promise<CommitOutcome | undefined> {
  const found = await requests.find(request.hash, signal);
  if (found === undefined) return undefined;
  const { key, record } = found;
  if (record.fingerprint !== request.fingerprint) {
    throw new DbError('invalid', 'REQUEST_ID_REUSED', 'request_id was used by a recent commit with other writes', {
      field: 'request_id',
      metadata: { field: 'request_id', requestId: request.requestId },
    });
  }
  if (record.result !== undefined) return record.result;
  if ((await recovery.recover(record.txid, signal)) === 'live') throw contention('an earlier attempt of this request is still running');
  const again = await requests.read(key, signal);
  if (again?.result !== undefined) return again.result;
  await requests.remove(key, signal); // that attempt never committed: run the request anew
  return undefined;
}
