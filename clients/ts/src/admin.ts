/**
 * Index administration shapes (proto smarterbase.v1.Index as plain objects)
 * and the polling behind waitForIndexReady().
 */
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { IndexKind as ProtoIndexKind, IndexState as ProtoIndexState, type Index } from './gen/smarterbase/v1/index_pb.js';
import type { CallOptions } from './options.js';

/** equality: eq / in lookups; unique: equality + enforced uniqueness; ordered: ranges and orderBy on one field. */
export type IndexKind = 'equality' | 'unique' | 'ordered';
/** building: being filled from stored documents; ready: used by queries; failed: see error. */
export type IndexState = 'building' | 'ready' | 'failed';

/** What createIndex() takes. */
export interface IndexDefinition {
  /** The collection the index covers. */
  readonly collection: string;
  /** 1 to 64 characters of [a-z0-9_], starting with a letter. */
  readonly name: string;
  /** Dotted field paths: 1 to 4 for equality/unique, exactly 1 for ordered. */
  readonly fields: readonly string[];
  /** How the index stores values. */
  readonly kind: IndexKind;
  /**
   * Equality/unique only: the server stores HMAC hashes of the values instead of the values
   * (needs SB_INDEX_HASH_KEY_FILE on the server); eq and in still work, ranges do not. Default false.
   */
  readonly hashValues?: boolean;
}

/** An index with its state, as the server reports it. */
export interface IndexInfo extends IndexDefinition {
  /** Whether the index stores hashed values (see IndexDefinition.hashValues). */
  readonly hashValues: boolean;
  /** Where the index is in its life. */
  readonly state: IndexState;
  /** Documents scanned by the build so far. */
  readonly documentsScanned: number;
  /** When the index was created. */
  readonly createTime: Date | undefined;
  /** Why the build failed ("" unless state is 'failed'). */
  readonly error: string;
}

/** Options of waitForIndexReady() (times in milliseconds). */
export interface WaitForIndexOptions extends CallOptions {
  /** Pause between GetIndex calls. Default 100 ms. */
  readonly pollMs?: number;
}

/** Thrown by waitForIndexReady() when the index build failed. */
export class IndexBuildError extends Error {
  /** The failed index (see index.error). */
  readonly index: IndexInfo;

  /** Builds the error of a FAILED index. */
  constructor(index: IndexInfo) {
    super(`index ${index.name} of ${index.collection} failed to build: ${index.error}`);
    this.name = 'IndexBuildError';
    this.index = index;
  }
}

const KINDS: Readonly<Record<IndexKind, ProtoIndexKind>> = {
  equality: ProtoIndexKind.EQUALITY,
  unique: ProtoIndexKind.UNIQUE,
  ordered: ProtoIndexKind.ORDERED,
};
const STATES: ReadonlyMap<ProtoIndexState, IndexState> = new Map([
  [ProtoIndexState.BUILDING, 'building'],
  [ProtoIndexState.READY, 'ready'],
  [ProtoIndexState.FAILED, 'failed'],
] as const);

/** The proto Index fields of a definition. */
export function toProtoIndex(def: IndexDefinition): {
  collection: string;
  name: string;
  fields: string[];
  kind: ProtoIndexKind;
  hashValues: boolean;
} {
  const kind = KINDS[def.kind];
  if (kind === undefined) throw new TypeError(`index kind must be equality, unique or ordered, got ${String(def.kind)}`);
  return { collection: def.collection, name: def.name, fields: [...def.fields], kind, hashValues: def.hashValues === true };
}

/** A plain IndexInfo of a proto Index. */
export function fromProtoIndex(i: Index | undefined): IndexInfo {
  if (!i) throw new TypeError('the server answered without an index');
  const kind = (Object.keys(KINDS) as IndexKind[]).find((k) => KINDS[k] === i.kind);
  const state = STATES.get(i.state);
  if (kind === undefined || state === undefined) throw new TypeError(`unknown index kind ${i.kind} or state ${i.state}`);
  return {
    collection: i.collection,
    name: i.name,
    fields: [...i.fields],
    kind,
    hashValues: i.hashValues,
    state,
    documentsScanned: Number(i.documentsScanned),
    createTime: i.createTime ? timestampDate(i.createTime) : undefined,
    error: i.error,
  };
}

/**
 * Polls `get` until the index is READY (resolves with it) or FAILED (rejects
 * with IndexBuildError); stops with the signal or the timeout (rejects with
 * the abort reason).
 */
export async function pollUntilReady(get: () => Promise<IndexInfo>, options: WaitForIndexOptions | undefined): Promise<IndexInfo> {
  const pollMs = options?.pollMs ?? 100;
  const deadline = options?.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  for (;;) {
    const info = await get();
    if (info.state === 'ready') return info;
    if (info.state === 'failed') throw new IndexBuildError(info);
    if (deadline !== undefined && Date.now() + pollMs > deadline) {
      throw new Error(
        `index ${info.name} of ${info.collection} was not ready within ${options?.timeoutMs} ms (state ${info.state}, ${info.documentsScanned} documents scanned)`,
      );
    }
    await sleep(pollMs, options?.signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
