/**
 * Builders for DocumentService.Commit writes (TransactionWrite init objects)
 * and for reading the reason of a failed call, for the transaction suites.
 */
import { type Code, ConnectError } from '@connectrpc/connect';
import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import type { TransactionWriteSchema } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';

/** One write of a CommitRequest, as a plain init object. */
export type TxnWriteInit = MessageInitShape<typeof TransactionWriteSchema>;

/** A precondition: the document must have `etag`, or must (not) exist. */
export type Pre = { etag: string } | { exists: boolean };

function precondition(pre: Pre | undefined): TxnWriteInit['precondition'] {
  if (pre === undefined) return undefined;
  return 'etag' in pre ? { condition: { case: 'etag', value: pre.etag } } : { condition: { case: 'exists', value: pre.exists } };
}

/** A set write of `data` to collection/id, with an optional precondition. */
export function setWrite(collection: string, id: string, data: JsonObject, pre?: Pre): TxnWriteInit {
  return { collection, id, operation: { case: 'set', value: { data } }, precondition: precondition(pre) };
}

/** A delete write of collection/id, with an optional precondition. */
export function deleteWrite(collection: string, id: string, pre?: Pre): TxnWriteInit {
  return { collection, id, operation: { case: 'delete', value: {} }, precondition: precondition(pre) };
}

/** A check-only write of collection/id with its precondition. */
export function checkWrite(collection: string, id: string, pre: Pre): TxnWriteInit {
  return { collection, id, operation: { case: 'check', value: {} }, precondition: precondition(pre) };
}

/** The gRPC code and ErrorInfo reason of a failed call ('' when it carries none). */
export function failure(e: unknown): { code: Code; reason: string; message: string } {
  const err = ConnectError.from(e);
  return { code: err.code, reason: err.findDetails(ErrorInfoSchema)[0]?.reason ?? '', message: err.message };
}
