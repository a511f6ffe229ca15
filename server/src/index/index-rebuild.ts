/**
 * RebuildIndexes: an online rebuild (docs/adr/0009). For each index, a
 * hidden shadow (`<name>~shadow`, same definition, its own entries) is added
 * to the store's catalog: writes maintain it like any index (their values
 * are computed from the whole catalog), but the planner never uses it,
 * ListIndexes and the checks never show it, and it never makes a write fail
 * INDEX_NOT_READY — the live index keeps serving queries and enforcing
 * uniqueness meanwhile. The existing builder fills the shadow from storage
 * in its collection's build pass (leased-build.ts, one lease per collection: a pass
 * already running there makes the rebuild report SKIPPED); when it is READY, one atomic step
 * (IndexStore.swapShadow: a Lua script on the catalog key in Redis, one
 * synchronous step in process) gives the live index the shadow's entries and
 * deletes the old ones. A failed build (e.g. two documents hold one unique
 * value) drops the shadow: the live index stays as it was and the result
 * says why. Cancelling (the signal) stops the build and drops the shadow.
 * Indexes are rebuilt one after another.
 */
import type { RebuildIndexesProgress, RebuildIndexesInput, RebuiltIndex } from '../api/query-api.js';
import type { Clock } from '../common/clock.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { definitionOf, shadowIndexName, visibleIndexes, type IndexInfo } from '../model/index-def.js';
import { validateCollection } from '../model/keys.js';
import type { CounterCell } from '../observability/cell-counter.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { IndexBuildOptions } from './index-builder.js';
import { indexNotFound } from './index-rules.js';
import type { IndexStore } from './index-store.js';
import { validateIndexName } from './index-validation.js';
import { leasedBuild, type LeasedBuildResult } from './leased-build.js';
import type { IndexLog } from './write-hooks.js';

/** What a rebuild needs. */
export interface IndexRebuildInput extends RebuildIndexesInput {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  /** The clock of the shadow's createTime. */
  readonly clock: Clock;
  /** Stops the rebuild (the shadow is dropped; the live index is untouched). */
  readonly signal?: AbortSignal;
  /** Where the shadow's build lease is taken; unset: no lease (one server). */
  readonly coordinator?: Coordinator;
  readonly leaseTtlMs?: number;
  readonly build?: IndexBuildOptions;
  readonly log?: IndexLog;
  /** Also counts the documents scanned (metrics), per index. */
  readonly scanned?: (index: string) => CounterCell | undefined;
}

/** Rebuilds the index (or every index) of the collection; yields progress and, last, every result. INDEX_NOT_FOUND for an unknown index. */
export async function* rebuildIndexes(input: IndexRebuildInput): AsyncGenerator<RebuildIndexesProgress, void, undefined> {
  validateCollection(input.collection);
  if (input.index !== undefined) validateIndexName(input.index, 'index.');
  const catalog = await input.indexes.catalog(input.collection, input.signal);
  const live = visibleIndexes(catalog.indexes);
  if (input.index !== undefined && !live.some((i) => i.name === input.index)) throw indexNotFound(input.collection, input.index);
  const results: RebuiltIndex[] = [];
  for (const info of live.filter((i) => input.index === undefined || i.name === input.index)) {
    if (info.state === 'building') {
      results.push({ name: info.name, outcome: 'skipped', documentsScanned: 0, error: 'the index is BUILDING: its own build fills it' });
      continue;
    }
    results.push(yield* rebuildOne(input, info));
  }
  yield { index: '', documentsScanned: 0, done: true, results };
}

/** Rebuilds one index into its shadow and swaps it in; the shadow never outlives the call unless swapped or another server's. */
async function* rebuildOne(input: IndexRebuildInput, info: IndexInfo): AsyncGenerator<RebuildIndexesProgress, RebuiltIndex> {
  const { indexes, collection } = input;
  const shadow = shadowIndexName(info.name);
  const result = (outcome: RebuiltIndex['outcome'], documentsScanned: number, error?: string): RebuiltIndex => ({
    name: info.name,
    outcome,
    documentsScanned,
    ...(error !== undefined ? { error: error.split(shadow).join(info.name) } : {}),
  });
  const existing = (await indexes.catalog(collection, input.signal)).indexes.find((i) => i.name === shadow);
  // A failed leftover is replaced; a BUILDING one is resumed unless its lease is held (another server's rebuild).
  if (existing?.state === 'failed') await indexes.dropIndex(collection, shadow);
  await indexes.createIndex({ ...definitionOf(info), name: shadow }, input.clock.date());
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  input.signal?.addEventListener('abort', stop, { once: true });
  let keep = false;
  let scanned = 0;
  let finished = false;
  let wake = (): void => {};
  const cell = input.scanned?.(info.name);
  try {
    if (input.signal?.aborted) return result('aborted', 0, 'cancelled');
    const done: Promise<LeasedBuildResult> = leasedBuild({
      ...input.build,
      indexes,
      store: input.store,
      collection,
      signal: controller.signal,
      controller,
      // The collection's pass fills every BUILDING index, the shadow among them; only the shadow's progress is reported here.
      scannedCounter: (index) =>
        index !== shadow
          ? IGNORED
          : {
              add: (n = 1) => {
                scanned += n;
                cell?.add(n);
                wake();
              },
              get value() {
                return scanned;
              },
            },
      ...(input.coordinator ? { coordinator: input.coordinator } : {}),
      ...(input.leaseTtlMs !== undefined ? { leaseTtlMs: input.leaseTtlMs } : {}),
      ...(input.log ? { log: input.log } : {}),
    }).finally(() => {
      finished = true;
      wake();
    });
    let reported = 0;
    while (!finished) {
      if (scanned !== reported) {
        reported = scanned;
        yield { index: info.name, documentsScanned: scanned, done: false, results: [] };
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
    const outcome = await done;
    if (outcome === 'busy') {
      keep = true; // another server's rebuild owns it
      return result('skipped', 0, 'another server is rebuilding this index');
    }
    if (outcome.ready.includes(shadow)) {
      if (await indexes.swapShadow(collection, info.name, shadow)) {
        keep = true;
        input.log?.info({ collection, index: info.name, documentsScanned: scanned }, 'index rebuilt and swapped in');
        return result('swapped', scanned);
      }
      return result('dropped', scanned, 'the index was dropped or its rebuild replaced meanwhile');
    }
    if (outcome.failed.includes(shadow)) {
      const error = (await indexes.catalog(collection)).indexes.find((i) => i.name === shadow)?.error ?? 'build failed';
      return result('failed', scanned, error);
    }
    if (outcome.dropped.includes(shadow)) return result('dropped', scanned, 'the index was dropped or its rebuild replaced meanwhile');
    return result('aborted', scanned, input.signal?.aborted ? 'cancelled' : 'stopped (shutdown, lost build lease or backend failure)');
  } finally {
    input.signal?.removeEventListener('abort', stop);
    controller.abort();
    if (!keep) await dropShadow(input, shadow);
  }
}

/** The progress counter of the pass's other targets, which a rebuild does not report. */
const IGNORED: CounterCell = { add: () => undefined, value: 0 };

async function dropShadow(input: IndexRebuildInput, shadow: string): Promise<void> {
  try {
    await input.indexes.dropIndex(input.collection, shadow);
  } catch (err) {
    input.log?.warn(
      { err, collection: input.collection, index: shadow },
      'shadow index not dropped; writes keep maintaining it until a rebuild',
    );
  }
}
