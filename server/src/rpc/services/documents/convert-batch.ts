/**
 * Proto ⇄ engine converters of BatchWrite and BatchDelete. A failed item's
 * google.rpc.Status carries the code, message and details (ErrorInfo,
 * BadRequest, RetryInfo) its single call would have sent, built by the same
 * table (rpc/error-table.ts).
 */
import { expirationField } from '../../convert/expiration.js';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { BatchWriteOp, BatchWriteOutcome } from '../../../api/document-api.js';
import { invalid, type DbError } from '../../../errors/db-error.js';
import { StatusSchema, type Status } from '../../../gen/google/rpc/status_pb.js';
import type { BatchDeleteItem, BatchWriteItem, BatchWriteResultSchema } from '../../../gen/smarterbase/v1/document_service_pb.js';
import type { JsonObject } from '../../../model/json.js';
import { toProtoDocument } from '../../convert/convert.js';
import { packDetails, toConnectError, type InternalErrorLogger } from '../../error-table.js';

/**
 * The google.rpc.Status of a failed item: what the single call would have
 * answered. A backend failure's cause goes to `logInternal`, as the single
 * call's would: a per-item Status never carries it.
 */
export function statusOfError(err: DbError, logInternal?: InternalErrorLogger): Status {
  const wire = toConnectError(err, logInternal);
  return create(StatusSchema, { code: wire.code, message: wire.rawMessage, details: packDetails(wire) });
}

/** The OK google.rpc.Status of a successful item. */
export const OK_STATUS: Status = create(StatusSchema, { code: 0, message: '' });

/**
 * The engine ops of BatchWriteRequest.writes. An item with neither put nor
 * delete fails the whole request (INVALID_ARGUMENT `writes[i]`). A put
 * without data is passed on as it is: the engine answers that item alone
 * INVALID_ARGUMENT `data`, as a single Put without data would be.
 */
export function toBatchWriteOps(writes: readonly BatchWriteItem[]): BatchWriteOp[] {
  return writes.map((w, i): BatchWriteOp => {
    const op = w.operation;
    if (op.case === 'put') {
      const p = op.value;
      // Runtime-validated by the engine's put (checkDocumentData), per item.
      const data = p.data as JsonObject;
      return {
        kind: 'put',
        id: p.id,
        data,
        ...(p.createOnly ? { createOnly: true } : {}),
        ...(p.etag === '' ? {} : { etag: p.etag }),
        ...expirationField(p.expiration, `writes[${i}].put.expiration`),
      };
    }
    if (op.case === 'delete') return toDeleteOp(op.value);
    throw invalid('INVALID_ARGUMENT', `writes[${i}]`, `writes[${i}] has neither put nor delete`);
  });
}

/** The engine items of BatchDeleteRequest.items. */
export function toBatchDeleteItems(items: readonly BatchDeleteItem[]): { id: string; etag?: string }[] {
  return items.map((item) => (item.etag === '' ? { id: item.id } : { id: item.id, etag: item.etag }));
}

/** One BatchWriteResult of an engine outcome (a failed item's backend cause goes to `logInternal`). */
export function toBatchWriteResult(
  outcome: BatchWriteOutcome,
  logInternal?: InternalErrorLogger,
): MessageInitShape<typeof BatchWriteResultSchema> {
  if (outcome.error !== undefined) return { id: outcome.id, status: statusOfError(outcome.error, logInternal) };
  return {
    id: outcome.id,
    status: OK_STATUS,
    ...(outcome.document === undefined ? {} : { document: toProtoDocument(outcome.document) }),
    deleted: outcome.deleted === true,
  };
}

function toDeleteOp(d: BatchDeleteItem): BatchWriteOp {
  return d.etag === '' ? { kind: 'delete', id: d.id } : { kind: 'delete', id: d.id, etag: d.etag };
}
