/**
 * Proto ⇄ model converters of AdminService: proto Index ⇄ IndexDefinition /
 * IndexInfo. Shape errors are INVALID_ARGUMENT DbErrors naming the request
 * field; the definition's rules are the engine's to check.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { CheckIndexesProgress, RebuildIndexesProgress, RebuildOutcome } from '../../../api/query-api.js';
import {
  RebuildOutcome as ProtoRebuildOutcome,
  type CheckIndexesResponseSchema,
  type RebuildIndexesResponseSchema,
} from '../../../gen/smarterbase/v1/admin_service_pb.js';
import { invalid } from '../../../errors/db-error.js';
import type { IndexDefinition, IndexInfo, IndexKind, IndexState } from '../../../model/index-def.js';
import {
  IndexKind as ProtoIndexKind,
  IndexSchema,
  IndexState as ProtoIndexState,
  type Index,
} from '../../../gen/smarterbase/v1/index_pb.js';
import { toTimestamp } from '../../convert/convert.js';

const KIND_TO_MODEL: ReadonlyMap<ProtoIndexKind, IndexKind> = new Map([
  [ProtoIndexKind.EQUALITY, 'equality'],
  [ProtoIndexKind.UNIQUE, 'unique'],
  [ProtoIndexKind.ORDERED, 'ordered'],
] as const);
const KIND_TO_PROTO: ReadonlyMap<IndexKind, ProtoIndexKind> = new Map([...KIND_TO_MODEL].map(([p, m]) => [m, p]));
const STATE_TO_PROTO: Readonly<Record<IndexState, ProtoIndexState>> = {
  building: ProtoIndexState.BUILDING,
  ready: ProtoIndexState.READY,
  failed: ProtoIndexState.FAILED,
};

/** The definition in a CreateIndexRequest's index (output-only fields ignored); its rules are the engine's to check. */
export function indexDefinitionFromProto(index: Index | undefined): IndexDefinition {
  if (index === undefined) throw invalid('INVALID_ARGUMENT', 'index', 'index is required');
  const kind = KIND_TO_MODEL.get(index.kind);
  if (kind === undefined) throw invalid('INVALID_ARGUMENT', 'index.kind', 'index.kind must be EQUALITY, UNIQUE or ORDERED');
  return {
    collection: index.collection,
    name: index.name,
    fields: [...index.fields],
    kind,
    ...(index.hashValues ? { hashValues: true } : {}),
  };
}

/** The proto Index of an index with its state. */
export function indexToProto(info: IndexInfo): Index {
  return create(IndexSchema, {
    collection: info.collection,
    name: info.name,
    fields: [...info.fields],
    kind: KIND_TO_PROTO.get(info.kind) ?? ProtoIndexKind.UNSPECIFIED,
    state: STATE_TO_PROTO[info.state] ?? ProtoIndexState.UNSPECIFIED,
    documentsScanned: BigInt(info.documentsScanned),
    createTime: toTimestamp(info.createTime),
    error: info.error ?? '',
    hashValues: info.hashValues === true,
  });
}

/** A check's progress as a CheckIndexesResponse. */
export function checkProgressToProto(p: CheckIndexesProgress): MessageInitShape<typeof CheckIndexesResponseSchema> {
  return {
    documentsScanned: BigInt(p.documentsScanned),
    entriesChecked: BigInt(p.entriesChecked),
    missing: BigInt(p.missing),
    stale: BigInt(p.stale),
    repaired: BigInt(p.repaired),
    skipped: BigInt(p.skipped),
    done: p.done,
    samples: [...p.samples],
  };
}

const OUTCOMES: Record<RebuildOutcome, ProtoRebuildOutcome> = {
  swapped: ProtoRebuildOutcome.SWAPPED,
  failed: ProtoRebuildOutcome.FAILED,
  dropped: ProtoRebuildOutcome.DROPPED,
  aborted: ProtoRebuildOutcome.ABORTED,
  skipped: ProtoRebuildOutcome.SKIPPED,
};

/** A rebuild's progress (or summary) as a RebuildIndexesResponse. */
export function rebuildProgressToProto(p: RebuildIndexesProgress): MessageInitShape<typeof RebuildIndexesResponseSchema> {
  return {
    index: p.index,
    documentsScanned: BigInt(p.documentsScanned),
    done: p.done,
    results: p.results.map((r) => ({
      name: r.name,
      outcome: OUTCOMES[r.outcome],
      documentsScanned: BigInt(r.documentsScanned),
      error: r.error ?? '',
    })),
  };
}
