/**
 * The faults the drift-monitor benchmark (index-drift.ts) injects before
 * each faulty round, and removes after: documents whose entries are gone
 * (missing entries), and entries of documents that do not exist (stale
 * entries: a delete whose index apply was lost). Both are written with
 * IndexStore.repairEntries, so no Redis key layout is assumed.
 */
import { indexValues } from '../server/src/index/extract-values.js';
import type { IndexCatalog, IndexStore } from '../server/src/index/index-store.js';
import type { JsonObject } from '../server/src/model/json.js';

/** A stored document of the benchmark. */
export interface BenchDoc {
  readonly id: string;
  readonly data: JsonObject;
}

/** The entries one document should be given: those of `values`, none ('none', record kept), or none and no record (null). */
export interface EntrySetting {
  readonly id: string;
  readonly values: JsonObject | null | 'none';
}

/** The id of the absent document whose stale entries stand beside document `id` in key order. */
export function goneId(id: string): string {
  return `${id}~gone`;
}

/**
 * The faults of a round: every `every`-th document loses its entries, and
 * as many absent documents get entries (unique values of their own); `heal`
 * undoes exactly that.
 */
export function faultPlan(docs: readonly BenchDoc[], every: number): { corrupt: EntrySetting[]; heal: EntrySetting[] } {
  if (!(Number.isInteger(every) && every >= 1)) throw new RangeError(`--fault-every must be a positive integer: ${every}`);
  const hit = docs.filter((_, i) => i % every === 0);
  return {
    corrupt: [
      ...hit.map((d) => ({ id: d.id, values: 'none' as const })),
      ...hit.map((d, i) => ({ id: goneId(d.id), values: { email: `ghost-${i}@x`, city: 'c-ghost', age: 1000 + i } })),
    ],
    heal: [...hit.map((d) => ({ id: d.id, values: d.data })), ...hit.map((d) => ({ id: goneId(d.id), values: null }))],
  };
}

/** Gives each document of `settings` its entries in `collection`, `width` repair scripts at a time. */
export async function setEntries(
  indexes: IndexStore,
  collection: string,
  catalog: IndexCatalog,
  settings: readonly EntrySetting[],
  width = 16,
): Promise<void> {
  const held = await indexes.heldEntries(
    collection,
    settings.map((d) => ({ id: d.id, values: {} })),
  );
  let next = 0;
  const one = async (k: number): Promise<void> => {
    const d = settings[k]!;
    const seq = held[k]?.recordSeq;
    const values = d.values === null ? null : d.values === 'none' ? {} : indexValues(catalog, d.values);
    const repair = { id: d.id, ...(seq !== undefined ? { expectedRecordSeq: seq } : {}), seq: seq ?? 0, values, remove: {} };
    const outcome = await indexes.repairEntries(collection, repair, catalog.version);
    if (outcome !== 'repaired') throw new Error(`setting the entries of ${d.id}: ${outcome}`);
  };
  await Promise.all(
    Array.from({ length: Math.min(width, settings.length) }, async () => {
      while (next < settings.length) await one(next++);
    }),
  );
}
