/**
 * CheckIndexes: an exact comparison of a collection's READY indexes with the
 * documents in storage, both ways, streamed as progress.
 *
 *   1. Documents → entries: every document is read page by page and its
 *      expected entries are probed in the index store (index-settle.ts);
 *      each one absent is "missing". The expected values are kept in memory
 *      (one entry per document) for step 2.
 *   2. Entries → documents: every entry of each checked index is scanned
 *      (IndexStore.scanEntries); one whose document was not read in step 1
 *      or does not produce its value is suspect, and settled against a fresh
 *      read of the document (so a write since step 1 is no fault); one still
 *      held and not produced is "stale".
 *
 * With `repair`, every faulty document is repaired as it is found
 * (IndexStore.repairEntries, conditional on its record). A cancelled call
 * (its signal) stops the scan at the next page. Indexes not READY are not
 * checked (a build is filling them).
 */
import { throwIfAborted } from '../common/abort.js';
import type { CheckIndexesProgress } from '../api/query-api.js';
import { collectionPrefix, idFromKey } from '../format/bucket-layout.js';
import { validateCollection } from '../model/keys.js';
import { visibleIndexes } from '../model/index-def.js';
import type { BlobStore } from '../storage/blob-store.js';
import { indexNotFound } from './index-rules.js';
import type { IndexStore, IndexValues } from './index-store.js';
import { settle, type SettleResult, type SettleScope } from './index-settle.js';

/** Most fault descriptions the summary carries. */
export const MAX_FAULT_SAMPLES = 100;

/** What a check needs. */
export interface IndexCheckInput {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  readonly collection: string;
  /** Only this index; unset: every READY index of the collection. */
  readonly index?: string;
  /** Repair what is found. */
  readonly repair: boolean;
  /** Stops the check (a cancelled call). */
  readonly signal?: AbortSignal;
  /** Documents listed per page and entries scanned per page. Default 500. */
  readonly pageSize?: number;
  /** Documents read at once. Default 16. */
  readonly concurrency?: number;
}

/** Progress of a check; cumulative. The last one has done = true and up to MAX_FAULT_SAMPLES faults. */
export type CheckProgress = CheckIndexesProgress;

/** Runs the check, yielding progress after each page and the summary last. INDEX_NOT_FOUND for an unknown `index`. */
export async function* checkIndexes(input: IndexCheckInput): AsyncGenerator<CheckProgress, void, undefined> {
  validateCollection(input.collection);
  const pageSize = input.pageSize ?? 500;
  const { indexes, collection, signal } = input;
  const catalog = await indexes.catalog(collection, signal);
  if (input.index !== undefined && !catalog.indexes.some((i) => i.name === input.index)) throw indexNotFound(collection, input.index);
  const targets = new Set(
    visibleIndexes(catalog.indexes)
      .filter((i) => i.state === 'ready' && (input.index === undefined || i.name === input.index))
      .map((i) => i.name),
  );
  const scope: SettleScope = { indexes, store: input.store, collection, catalog, targets, ...(signal ? { signal } : {}) };
  const t = { documentsScanned: 0, entriesChecked: 0, missing: 0, stale: 0, repaired: 0, skipped: 0 };
  const samples: string[] = [];
  const reported = new Set<string>();
  const expected = new Map<string, IndexValues>();
  const tally = (r: SettleResult): void => {
    t.repaired += r.repaired;
    t.skipped += r.skipped;
    for (const f of r.faults) {
      for (const [kind, values] of [
        ['missing', f.missing],
        ['stale', f.stale],
      ] as const) {
        for (const [name, vs] of Object.entries(values)) {
          for (const v of vs) {
            const key = faultKey(kind, name, v, f.id);
            if (reported.has(key)) continue;
            reported.add(key);
            t[kind]++;
            if (samples.length < MAX_FAULT_SAMPLES) samples.push(`${kind} ${name} ${v} ${f.id}`);
          }
        }
      }
    }
  };
  const progress = (done: boolean): CheckProgress => ({ ...t, done, samples: done ? samples : [] });
  const settleOpts = input.concurrency;

  if (targets.size > 0) {
    let startAfter: string | undefined;
    for (;;) {
      throwIfAborted(signal);
      const page = await input.store.list(
        { prefix: collectionPrefix(collection), limit: pageSize, ...(startAfter ? { startAfter } : {}) },
        signal,
      );
      const ids = page.keys.flatMap((k) => idFromKey(collection, k) ?? []);
      const r = await settle(scope, new Map(ids.map((id) => [id, {}])), input.repair, settleOpts);
      throwIfAborted(signal);
      for (const [id, v] of r.expected) expected.set(id, v);
      t.documentsScanned += ids.length;
      tally(r);
      yield progress(false);
      if (!page.isTruncated || page.keys.length === 0) break;
      startAfter = page.keys[page.keys.length - 1];
    }
    for (const name of targets) {
      let cursor: string | undefined;
      do {
        throwIfAborted(signal);
        const page = await indexes.scanEntries(collection, name, cursor, pageSize, signal);
        cursor = page.cursor;
        t.entriesChecked += page.entries.length;
        const suspects = new Map<string, Record<string, string[]>>();
        for (const e of page.entries) {
          if (expected.get(e.id)?.[name]?.includes(e.value) === true) continue;
          if (reported.has(faultKey('stale', name, e.value, e.id)) && !input.repair) continue;
          const s = suspects.get(e.id) ?? {};
          s[name] = [...(s[name] ?? []), e.value];
          suspects.set(e.id, s);
        }
        if (suspects.size > 0) tally(await settle(scope, suspects, input.repair, settleOpts));
        throwIfAborted(signal);
        yield progress(false);
      } while (cursor !== undefined);
    }
  }
  yield progress(true);
}

/** The identity of one fault (a fault is counted once even when SCAN returns its entry twice). */
function faultKey(kind: string, index: string, value: string, id: string): string {
  return `${kind}\u0000${index}\u0000${value}\u0000${id}`;
}
