/**
 * The decode worker (a piscina worker thread, started by decode-pool.ts):
 * decodes one large request and sizes its documents (decode-check.ts) off
 * the event loop, answering the message (structured-cloned back, several
 * times cheaper than decoding it there) or the DbError that refuses it.
 */
import { createRegistry, type DescMessage } from '@bufbuild/protobuf';
import { DbError } from '../errors/db-error.js';
import { file_grpc_health_v1_health } from '../gen/grpc/health/v1/health_pb.js';
import { file_smarterbase_v1_access_service } from '../gen/smarterbase/v1/access_service_pb.js';
import { file_smarterbase_v1_admin_service } from '../gen/smarterbase/v1/admin_service_pb.js';
import { file_smarterbase_v1_document_service } from '../gen/smarterbase/v1/document_service_pb.js';
import { file_smarterbase_v1_lock_service } from '../gen/smarterbase/v1/lock_service_pb.js';
import { file_smarterbase_v1_log_service } from '../gen/smarterbase/v1/log_service_pb.js';
import { file_smarterbase_v1_object_service } from '../gen/smarterbase/v1/object_service_pb.js';
import { file_smarterbase_v1_query_service } from '../gen/smarterbase/v1/query_service_pb.js';
import { file_smarterbase_v1_stream_service } from '../gen/smarterbase/v1/stream_service_pb.js';
import { decodeChecked } from './decode-check.js';

/** One request to decode. */
export interface DecodeTask {
  /** Fully-qualified name of the request message type. */
  readonly typeName: string;
  readonly bytes: Uint8Array;
  readonly maxDocumentBytes: number;
  /** False when only the verdict is needed (the HTTP port, where connect decodes again). */
  readonly wantMessage: boolean;
}

/** A DbError as plain data (errors do not survive the thread boundary with their fields). */
export interface DecodeFailure {
  readonly kind: DbError['kind'];
  readonly reason: DbError['reason'];
  readonly message: string;
  readonly field?: string;
  readonly metadata: Record<string, string>;
}

/** The worker's answer. */
export type DecodeOutcome = { readonly ok: true; readonly message?: unknown } | { readonly ok: false; readonly error: DecodeFailure };

/** Every request type of every served service (decode-worker.spec.ts checks it against rpc/services/index.ts). */
const registry = createRegistry(
  file_smarterbase_v1_document_service,
  file_smarterbase_v1_query_service,
  file_smarterbase_v1_lock_service,
  file_smarterbase_v1_admin_service,
  file_smarterbase_v1_stream_service,
  file_smarterbase_v1_log_service,
  // WriteAt carries up to SB_OBJECT_CHUNK_MAX_BYTES of data in one unary request.
  file_smarterbase_v1_object_service,
  file_smarterbase_v1_access_service,
  file_grpc_health_v1_health,
);

/** The worker's entry point (piscina calls it by name). */
export function decodeTask(task: DecodeTask): DecodeOutcome {
  const desc: DescMessage | undefined = registry.getMessage(task.typeName);
  if (desc === undefined)
    return { ok: false, error: { kind: 'internal', reason: 'INTERNAL_ERROR', message: `no message type ${task.typeName}`, metadata: {} } };
  try {
    const message = decodeChecked(desc, task.bytes, task.maxDocumentBytes);
    return task.wantMessage ? { ok: true, message } : { ok: true };
  } catch (e) {
    if (!(e instanceof DbError)) throw e;
    return {
      ok: false,
      error: {
        kind: e.kind,
        reason: e.reason,
        message: e.message,
        ...(e.field === undefined ? {} : { field: e.field }),
        metadata: e.metadata,
      },
    };
  }
}
