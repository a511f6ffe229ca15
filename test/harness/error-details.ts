/**
 * Reads the google.rpc.Status of a raw error (grpc-status-details-bin, or a
 * Connect JSON error body) for wire-level tests.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { ErrorInfoSchema, RetryInfoSchema, type ErrorInfo, type RetryInfo } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../server/src/gen/google/rpc/status_pb.js';

/** The ErrorInfo and RetryInfo packed in a serialized google.rpc.Status. */
export function detailsOfStatusBin(bin: Uint8Array | undefined): { errorInfo?: ErrorInfo; retryInfo?: RetryInfo; code?: number } {
  if (bin === undefined) return {};
  const status = fromBinary(StatusSchema, bin);
  let errorInfo: ErrorInfo | undefined;
  let retryInfo: RetryInfo | undefined;
  for (const any of status.details) {
    errorInfo ??= anyUnpack(any, ErrorInfoSchema);
    retryInfo ??= anyUnpack(any, RetryInfoSchema);
  }
  return { errorInfo, retryInfo, code: status.code };
}

/** The ErrorInfo of a Connect JSON error body ({code, message, details:[{type, value}]}). */
export function errorInfoOfConnectJson(body: { details?: { type: string; value: string }[] }): ErrorInfo | undefined {
  const d = body.details?.find((x) => x.type === 'google.rpc.ErrorInfo');
  return d === undefined ? undefined : fromBinary(ErrorInfoSchema, Buffer.from(d.value, 'base64'));
}
