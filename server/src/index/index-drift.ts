/**
 * One drift sample of a collection (the drift monitor's measurement,
 * index-drift-monitor.ts): both ways, like CheckIndexes but on a sample.
 *
 *   - Documents → entries: up to `sample` documents of storage — all of
 *     them when the collection has no more; else runs of 10 consecutive keys
 *     after random points of the key space (cheap: one LIST per run; biased
 *     towards documents after gaps in the key space) — and their entries.
 *   - Entries → documents: up to `sample` entries spread over the READY
 *     indexes (IndexStore.sampleEntries) and their documents.
 *
 * Every suspect is settled against a fresh read (index-settle.ts), so what
 * a sample reports is what the store held at that read. repairFound() then
 * repairs exactly those documents (again conditional on their records).
 */
import type { RandomSource } from '../common/clock.js';
import { collectionPrefix, idFromKey } from '../format/bucket-layout.js';
import type { BlobStore } from '../storage/blob-store.js';
import { visibleIndexes } from '../model/index-def.js';
import type { IndexStore, IndexValues } from './index-store.js';
import { countValues, settle, type DocFault, type SettleScope } from './index-settle.js';

/** Consecutive keys listed per random point. */
const RUN = 10;

/** What a sample found. */
export interface DriftSample {
  readonly collection: string;
  /** Missing entries found. */
  readonly missing: number;
  /** Stale entries found. */
  readonly stale: number;
  /** The faulty documents (what repairFound repairs). */
  readonly faults: readonly DocFault[];
  /** The scope the sample ran in (its catalog); undefined when the collection has no READY index. */
  readonly scope?: SettleScope;
}

/** What a sample needs. */
export interface DriftSampleInput {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  readonly collection: string;
  /** Documents sampled, and entries sampled. */
  readonly sample: number;
  readonly random: RandomSource;
  readonly signal?: AbortSignal;
}

/** Samples the collection's READY indexes both ways (see the file comment). */
export async function sampleDrift(input: DriftSampleInput): Promise<DriftSample> {
  const { indexes, collection, signal } = input;
  const catalog = await indexes.catalog(collection, signal);
  const targets = new Set(
    visibleIndexes(catalog.indexes)
      .filter((i) => i.state === 'ready')
      .map((i) => i.name),
  );
  if (targets.size === 0) return { collection, missing: 0, stale: 0, faults: [] };
  const scope: SettleScope = { indexes, store: input.store, collection, catalog, targets, ...(signal ? { signal } : {}) };
  const ids = await randomDocIds(input);
  const docs = await settle(scope, new Map(ids.map((id) => [id, {}])), false);
  const perIndex = Math.max(1, Math.ceil(input.sample / targets.size));
  const suspects = new Map<string, Record<string, string[]>>();
  for (const name of targets) {
    for (const e of await indexes.sampleEntries(collection, name, perIndex, () => input.random.random())) {
      if (docs.expected.get(e.id)?.[name]?.includes(e.value) === true) continue;
      const s = suspects.get(e.id) ?? {};
      s[name] = [...new Set([...(s[name] ?? []), e.value])];
      suspects.set(e.id, s);
    }
  }
  const entries = await settle(scope, suspects, false);
  const faults = mergeFaults([...docs.faults, ...entries.faults]);
  const missing = faults.reduce((n, f) => n + countValues(f.missing), 0);
  const stale = faults.reduce((n, f) => n + countValues(f.stale), 0);
  return { collection, missing, stale, faults, scope };
}

/** Repairs the documents a sample found faulty; returns how many were repaired. */
export async function repairFound(sample: DriftSample): Promise<number> {
  if (sample.scope === undefined || sample.faults.length === 0) return 0;
  const suspects = new Map<string, IndexValues>(sample.faults.map((f) => [f.id, f.stale]));
  return (await settle(sample.scope, suspects, true)).repaired;
}

/** Up to `sample` document ids of the collection (see the file comment). */
async function randomDocIds(input: DriftSampleInput): Promise<string[]> {
  const { store, collection, sample, signal } = input;
  const prefix = collectionPrefix(collection);
  const first = await store.list({ prefix, limit: Math.min(1000, sample) }, signal);
  const ids = new Set(first.keys.flatMap((k) => idFromKey(collection, k) ?? []));
  if (!first.isTruncated) return [...ids];
  ids.clear();
  for (let tries = 0; ids.size < sample && tries < 2 * Math.ceil(sample / RUN); tries++) {
    const limit = Math.min(RUN, sample - ids.size);
    let page = await store.list({ prefix, startAfter: prefix + randomSuffix(input.random), limit }, signal);
    if (page.keys.length === 0) page = await store.list({ prefix, limit }, signal); // past the last key: wrap around
    for (const k of page.keys) {
      const id = idFromKey(collection, k);
      if (id !== undefined) ids.add(id);
    }
  }
  return [...ids];
}

/** A random point of the key space: 1–4 printable ASCII characters. */
function randomSuffix(random: RandomSource): string {
  const n = 1 + Math.floor(random.random() * 4);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + Math.floor(random.random() * 0x5f));
  return s;
}

/** One fault per document (a document met both ways is reported once, with the union of its faults). */
function mergeFaults(faults: readonly DocFault[]): DocFault[] {
  const byId = new Map<string, { missing: Record<string, Set<string>>; stale: Record<string, Set<string>> }>();
  for (const f of faults) {
    const m = byId.get(f.id) ?? { missing: {}, stale: {} };
    for (const kind of ['missing', 'stale'] as const) {
      for (const [name, vs] of Object.entries(f[kind])) for (const v of vs) (m[kind][name] ??= new Set()).add(v);
    }
    byId.set(f.id, m);
  }
  const list = (r: Record<string, Set<string>>): IndexValues => Object.fromEntries(Object.entries(r).map(([k, s]) => [k, [...s]]));
  return [...byId].map(([id, m]) => ({ id, missing: list(m.missing), stale: list(m.stale) }));
}
