/** Proto ⇄ model converters of StreamService.Watch. */
import { create } from '@bufbuild/protobuf';
import type { WatchInput, WatchItem } from '../../../api/stream-api.js';
import { invalid } from '../../../errors/db-error.js';
import {
  ChangeBatchSchema,
  ChangeType,
  SnapshotPageSchema,
  WatchResponseSchema,
  type WatchRequest,
  type WatchResponse,
} from '../../../gen/smarterbase/v1/stream_service_pb.js';
import { toProtoDocument, toTimestamp } from '../../convert/convert.js';
import { durationToMs } from '../../convert/duration.js';
import { PROGRESS_INTERVAL_MS } from '../../../streams/watch-input.js';

/** The WatchInput of a request (the engine checks names, ids and bounds). */
export function watchInputFromProto(req: WatchRequest): WatchInput {
  if (req.afterRevision < 0n || req.afterRevision > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalid('INVALID_ARGUMENT', 'after_revision', 'after_revision must be 0 or a revision received earlier');
  }
  return {
    collection: req.collection,
    ...(req.idPrefix === '' ? {} : { idPrefix: req.idPrefix }),
    ...(req.ids.length === 0 ? {} : { ids: req.ids }),
    afterRevision: Number(req.afterRevision),
    progressIntervalMs: durationToMs(req.progressInterval, 'progress_interval') ?? PROGRESS_INTERVAL_MS.default,
    ...(req.includePrevious ? { includePrevious: true } : {}),
    ...(req.initialSnapshot ? { initialSnapshot: true } : {}),
  };
}

/** Responses already built, per item: watchers without a filter share one item per event. */
const built = new WeakMap<WatchItem, WatchResponse>();

/** The WatchResponse of one item (built once per item). */
export function watchResponseOf(item: WatchItem): WatchResponse {
  let res = built.get(item);
  if (res === undefined) built.set(item, (res = buildResponse(item)));
  return res;
}

function buildResponse(item: WatchItem): WatchResponse {
  const revision = BigInt(item.revision);
  if (item.kind === 'progress') return create(WatchResponseSchema, { revision, kind: { case: 'progress', value: {} } });
  if (item.kind === 'snapshot') {
    const page = create(SnapshotPageSchema, { documents: item.documents.map(toProtoDocument) });
    return create(WatchResponseSchema, { revision, kind: { case: 'snapshot', value: page } });
  }
  if (item.kind === 'snapshot-complete') {
    return create(WatchResponseSchema, { revision, kind: { case: 'snapshot', value: create(SnapshotPageSchema, { complete: true }) } });
  }
  const batch = create(ChangeBatchSchema, {
    events: item.changes.map((c) => ({
      type: c.type === 'put' ? ChangeType.PUT : c.type === 'expire' ? ChangeType.EXPIRE : ChangeType.DELETE,
      id: c.id,
      ...(c.document === undefined ? {} : { document: toProtoDocument(c.document) }),
      revision: BigInt(c.revision),
      previousRevision: BigInt(c.previousRevision),
      ...(c.previousDocument === undefined ? {} : { previousDocument: toProtoDocument(c.previousDocument) }),
      ...(c.previousUnavailable === true ? { previousUnavailable: true } : {}),
    })),
    transactionId: item.transactionId ?? '',
    commitTime: toTimestamp(item.commitTime),
  });
  return create(WatchResponseSchema, { revision, kind: { case: 'changes', value: batch } });
}
