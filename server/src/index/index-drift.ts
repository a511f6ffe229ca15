/**
 * One drift sample of a collection (the drift monitor's measurement,
 * index-drift-monitor.ts): both ways, like CheckIndexes but on a sample.
 *
 *   - Documents → entries: `sample` documents chosen at random among the
 *     keys of the next ceil(sample / 100) LIST pages (1,000 keys each) after
 *     `startAfter`, wrapping around at the end of the collection — so a
 *     collection of up to that many keys is listed whole at every sample,
 *     and a larger one is swept window by window by successive samples
 *     (`resumeAfter`: every document lies in a listed window once every
 *     ceil(keys / (pages × 1,000)) samples) — and their entries. (Random
 *     start points in the key space, tried before, missed time-ordered ids
 *     such as the server's UUIDv7: most points fell before or after every
 *     key, so samples kept re-reading the first keys; bench/index-drift.ts.)
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

/** Keys per LIST page. */
const PAGE = 1000;
/** Documents sampled per page listed: a sample lists ceil(sample / SAMPLE_PER_PAGE) pages. */
const SAMPLE_PER_PAGE = 100;

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
  /** Where the next sample's listing continues (pass it as `startAfter`); undefined: from the start. */
  readonly resumeAfter?: string;
}

/** What a sample needs. */
export interface DriftSampleInput {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  readonly collection: string;
  /** Documents sampled, and entries sampled. */
  readonly sample: number;
  readonly random: RandomSource;
  /** The key the document listing starts after (the previous sample's `resumeAfter`); unset: the first key. */
  readonly startAfter?: string;
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
  const { ids, resumeAfter } = await sampleDocIds(input);
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
  return { collection, missing, stale, faults, scope, ...(resumeAfter !== undefined ? { resumeAfter } : {}) };
}

/** Repairs the documents a sample found faulty; returns how many were repaired. */
export async function repairFound(sample: DriftSample): Promise<number> {
  if (sample.scope === undefined || sample.faults.length === 0) return 0;
  const suspects = new Map<string, IndexValues>(sample.faults.map((f) => [f.id, f.stale]));
  return (await settle(sample.scope, suspects, true)).repaired;
}

/** Up to `sample` document ids of the collection, and where the next sample continues (see the file comment). */
async function sampleDocIds(input: DriftSampleInput): Promise<{ ids: string[]; resumeAfter?: string }> {
  const { store, collection, sample, signal, startAfter: from } = input;
  const prefix = collectionPrefix(collection);
  const keys: string[] = [];
  let after = from; // the listing's position: undefined at the start of the collection
  let wrapped = false;
  pages: for (let p = 0; p < Math.max(1, Math.ceil(sample / SAMPLE_PER_PAGE)); p++) {
    const page = await store.list({ prefix, limit: PAGE, ...(after !== undefined ? { startAfter: after } : {}) }, signal);
    for (const k of page.keys) {
      // Back where this sample began: the collection is listed whole. (JS string order; it differs from the listing's UTF-8
      // byte order only between astral and U+E000–U+FFFF characters, where the sample would stop a few keys off.)
      if (wrapped && from !== undefined && k > from) break pages;
      keys.push(k);
      after = k;
    }
    if (page.isTruncated && page.keys.length > 0) continue;
    after = undefined; // past the last key: on from the first
    if (wrapped || from === undefined) break; // listed whole
    wrapped = true;
  }
  const ids = keys.flatMap((k) => idFromKey(collection, k) ?? []);
  return { ids: pick(ids, sample, input.random), ...(after !== undefined ? { resumeAfter: after } : {}) };
}

/** Up to `count` of `items` chosen at random (partial Fisher–Yates; reorders `items`). */
function pick<T>(items: T[], count: number, random: RandomSource): T[] {
  const n = Math.min(count, items.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random.random() * (items.length - i));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items.slice(0, n);
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
