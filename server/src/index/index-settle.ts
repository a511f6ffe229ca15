/**
 * The step the index check (index-check.ts) and the drift monitor
 * (index-drift.ts) share: for a batch of document ids, read each document
 * from storage afresh, compute the values it should have, ask the index
 * store which of them (and of the suspected stale values) it holds, and
 * derive the document's faults — missing entries (expected, not held) and
 * stale ones (held, not expected). Optionally repair each faulty document
 * with IndexStore.repairEntries, conditional on its index record being the
 * one just read, so a write racing the repair is never undone (the repair
 * is then skipped: that write maintains the document's entries).
 */
import { indexValues } from './extract-values.js';
import { readStoredDoc } from './read-stored-doc.js';
import type { HeldEntries, IndexCatalog, IndexStore, IndexValues } from './index-store.js';
import type { BlobStore } from '../storage/blob-store.js';

/** Faults of one document, by index. */
export interface DocFault {
  readonly id: string;
  readonly missing: IndexValues;
  readonly stale: IndexValues;
}

/** What a settle works on. */
export interface SettleScope {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  readonly collection: string;
  readonly catalog: IndexCatalog;
  /** The indexes checked (READY ones). */
  readonly targets: ReadonlySet<string>;
  readonly signal?: AbortSignal;
}

/** What a settle found (and repaired). */
export interface SettleResult {
  readonly faults: DocFault[];
  /** The values each document read should have in the target indexes (absent: no document). */
  readonly expected: Map<string, IndexValues>;
  readonly repaired: number;
  readonly skipped: number;
}

/** The number of values in `v`. */
export function countValues(v: IndexValues): number {
  return Object.values(v).reduce((n, vs) => n + vs.length, 0);
}

/**
 * Settles the documents of `suspects` (id → suspected stale values, by
 * index; empty for a document merely checked), reading them `concurrency`
 * at a time.
 */
export async function settle(
  scope: SettleScope,
  suspects: ReadonlyMap<string, IndexValues>,
  repair: boolean,
  concurrency = 16,
): Promise<SettleResult> {
  const out: SettleResult = { faults: [], expected: new Map(), repaired: 0, skipped: 0 };
  let repaired = 0;
  let skipped = 0;
  const ids = [...suspects.keys()];
  for (let i = 0; i < ids.length; i += concurrency) {
    if (scope.signal?.aborted) break;
    const batch = ids.slice(i, i + concurrency);
    const docs = await Promise.all(batch.map((id) => readStoredDoc(scope.store, scope.collection, id, scope.signal)));
    const full = docs.map((d) => (d === undefined ? null : indexValues(scope.catalog, d.data)));
    const suspected = batch.map((id) => suspects.get(id) ?? {});
    let held = await probe(scope, batch, full, suspected);
    // The record's values are suspects too (a repair removes those the document no longer has): probe them as well.
    if (held.some((h) => h.recorded !== undefined && countValues(h.recorded) > 0)) {
      held.forEach((h, k) => (suspected[k] = union(suspected[k] ?? {}, h.recorded ?? {})));
      held = await probe(scope, batch, full, suspected);
    } else held.forEach((h, k) => (suspected[k] = union(suspected[k] ?? {}, h.recorded ?? {})));
    for (let k = 0; k < batch.length; k++) {
      const id = batch[k] as string;
      const values = full[k] ?? null;
      if (values !== null) out.expected.set(id, restrict(scope.targets, values));
      const h = held[k] ?? { held: {} };
      const fault = faultOf(scope.targets, id, values, suspected[k] ?? {}, h.held);
      if (fault === undefined) continue;
      out.faults.push(fault);
      if (!repair) continue;
      const doc = docs[k];
      if (doc !== undefined && h.recordSeq !== undefined && doc.seq < h.recordSeq) {
        skipped++; // the index has seen a newer write than storage shows: in flight, not repaired
        continue;
      }
      const outcome = await scope.indexes.repairEntries(
        scope.collection,
        {
          id,
          ...(h.recordSeq !== undefined ? { expectedRecordSeq: h.recordSeq } : {}),
          seq: doc?.seq ?? h.recordSeq ?? 0,
          values,
          remove: fault.stale,
        },
        scope.catalog.version,
      );
      if (outcome === 'repaired') repaired++;
      else skipped++;
    }
  }
  return { ...out, repaired, skipped };
}

async function probe(
  scope: SettleScope,
  batch: readonly string[],
  full: readonly (IndexValues | null)[],
  suspected: readonly IndexValues[],
): Promise<HeldEntries[]> {
  const probes = batch.map((id, k) => ({ id, values: probeValues(scope.targets, full[k] ?? null, suspected[k] ?? {}) }));
  return scope.indexes.heldEntries(scope.collection, probes);
}

function union(a: IndexValues, b: IndexValues): IndexValues {
  const out: Record<string, string[]> = {};
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) out[name] = [...new Set([...(a[name] ?? []), ...(b[name] ?? [])])];
  return out;
}

/** The values to probe: expected and suspected ones of the target indexes. */
function probeValues(targets: ReadonlySet<string>, full: IndexValues | null, suspected: IndexValues): IndexValues {
  const out: Record<string, string[]> = {};
  for (const name of targets) {
    const vs = new Set([...(full?.[name] ?? []), ...(suspected[name] ?? [])]);
    if (vs.size > 0) out[name] = [...vs];
  }
  return out;
}

function restrict(targets: ReadonlySet<string>, values: IndexValues): IndexValues {
  const out: Record<string, readonly string[]> = {};
  for (const name of targets) out[name] = values[name] ?? [];
  return out;
}

/** missing = expected − held; stale = (suspected ∩ held) − expected; undefined when neither has any. */
function faultOf(
  targets: ReadonlySet<string>,
  id: string,
  full: IndexValues | null,
  suspected: IndexValues,
  held: IndexValues,
): DocFault | undefined {
  const missing: Record<string, string[]> = {};
  const stale: Record<string, string[]> = {};
  for (const name of targets) {
    const expected = new Set(full?.[name] ?? []);
    const has = new Set(held[name] ?? []);
    const m = [...expected].filter((v) => !has.has(v));
    const s = (suspected[name] ?? []).filter((v) => has.has(v) && !expected.has(v));
    if (m.length > 0) missing[name] = m;
    if (s.length > 0) stale[name] = [...new Set(s)];
  }
  if (Object.keys(missing).length === 0 && Object.keys(stale).length === 0) return undefined;
  return { id, missing, stale };
}
