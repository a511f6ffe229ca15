/** Proto ⇄ engine converters of DocumentService.Commit. */
import { expirationField } from '../../convert/expiration.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CommitResult, TxnPrecondition, TxnWrite } from '../../../api/document-api.js';
import { invalid } from '../../../errors/db-error.js';
import type { CommitResponseSchema, Precondition, TransactionWrite } from '../../../gen/smarterbase/v1/document_service_pb.js';
import type { JsonObject } from '../../../model/json.js';
import { toTimestamp } from '../../convert/convert.js';

/**
 * The engine writes of CommitRequest.writes. A write without an operation,
 * or a Precondition without a condition, is INVALID_ARGUMENT naming it; the
 * engine checks everything else (data of a set is validated there).
 */
export function toTxnWrites(writes: readonly TransactionWrite[]): TxnWrite[] {
  return writes.map((w, i): TxnWrite => {
    const at = `writes[${i}]`;
    const precondition = toPrecondition(w.precondition, `${at}.precondition`);
    const base = { collection: w.collection, id: w.id, ...(precondition === undefined ? {} : { precondition }) };
    const op = w.operation;
    switch (op.case) {
      case 'set':
        if (op.value.data === undefined) throw invalid('INVALID_ARGUMENT', `${at}.set.data`, `${at}: set needs data`);
        // Runtime-validated by the engine (checkDocumentData).
        return { ...base, op: 'set', data: op.value.data as JsonObject, ...expirationField(op.value.expiration, `${at}.set.expiration`) };
      case 'delete':
        return { ...base, op: 'delete' };
      case 'check':
        return { ...base, op: 'check' };
      default:
        throw invalid('INVALID_ARGUMENT', `${at}.operation`, `${at}: one of set, delete or check is required`);
    }
  });
}

function toPrecondition(p: Precondition | undefined, field: string): TxnPrecondition | undefined {
  if (p === undefined) return undefined;
  const c = p.condition;
  if (c.case === 'exists') return { exists: c.value };
  if (c.case === 'etag') return { etag: c.value };
  throw invalid('INVALID_ARGUMENT', field, `${field}: a precondition needs exists or etag`);
}

/** The CommitResponse of an engine result. */
export function toCommitResponse(r: CommitResult): MessageInitShape<typeof CommitResponseSchema> {
  return {
    results: r.results.map((x) => ({ collection: x.collection, id: x.id, etag: x.etag, version: BigInt(x.version) })),
    transactionId: r.transactionId,
    commitTime: toTimestamp(r.commitTime),
  };
}
