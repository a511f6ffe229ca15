/**
 * The check and repair operations of the LocalIndexStore (IndexStore's
 * heldEntries, scanEntries, sampleEntries, repairEntries) over its
 * in-process structures. Each runs synchronously, so it is atomic like the
 * Redis scripts.
 */
import { compareUtf8, decodeOrderedValue, escapeOrdered } from '../extract-values.js';
import type { EntryPage, EntryRepair, HeldEntries, IndexEntry, IndexValues, RepairOutcome } from '../index-store.js';
import type { IndexInfo } from '../../model/index-def.js';
import { addEntry, copyValues, removeEntry, type LocalCollection, type LocalIndex } from './local-entries.js';

/** True when the index holds (value → id). */
export function hasEntry(ix: LocalIndex, info: IndexInfo, value: string, id: string): boolean {
  if (info.kind === 'equality') return ix.sets.get(value)?.has(id) === true;
  if (info.kind === 'unique') return ix.owners.get(value) === id;
  const d = decodeOrderedValue(value);
  return typeof d === 'number' ? ix.numbers.has(d, id) : ix.strings.has(d, id);
}

/** Every entry of one index, in (value, id) order. */
export function allEntries(ix: LocalIndex, info: IndexInfo): IndexEntry[] {
  const out: IndexEntry[] = [];
  const index = info.name;
  if (info.kind === 'equality') for (const [value, ids] of ix.sets) for (const id of ids) out.push({ index, value, id });
  else if (info.kind === 'unique') for (const [value, id] of ix.owners) out.push({ index, value, id });
  else {
    for (const e of ix.numbers.pairs()) out.push({ index, value: `n:${JSON.stringify(e.value)}`, id: e.id });
    for (const e of ix.strings.pairs()) out.push({ index, value: `s:${escapeOrdered(e.value)}`, id: e.id });
  }
  return out.sort((a, b) => compareUtf8(a.value, b.value) || compareUtf8(a.id, b.id));
}

/** IndexStore.heldEntries over a collection. */
export function heldEntries(c: LocalCollection, probes: readonly { readonly id: string; readonly values: IndexValues }[]): HeldEntries[] {
  return probes.map(({ id, values }) => {
    const held: Record<string, string[]> = {};
    for (const [name, vs] of Object.entries(values)) {
      const info = c.catalog.get(name);
      const ix = c.entries.get(name);
      held[name] = info === undefined || ix === undefined ? [] : vs.filter((v) => hasEntry(ix, info, v, id));
    }
    const rec = c.records.get(id);
    if (rec === undefined) return { held };
    return rec.values === null ? { recordSeq: rec.seq, held } : { recordSeq: rec.seq, held, recorded: copyValues(rec.values) };
  });
}

/** IndexStore.scanEntries: the cursor is the offset into the sorted entries. */
export function scanEntries(c: LocalCollection, index: string, cursor: string | undefined, count: number): EntryPage {
  const info = c.catalog.get(index);
  const ix = c.entries.get(index);
  if (info === undefined || ix === undefined) return { entries: [] };
  const all = allEntries(ix, info);
  const from = cursor === undefined ? 0 : Number(cursor);
  const to = from + Math.max(1, count);
  return to < all.length ? { entries: all.slice(from, to), cursor: String(to) } : { entries: all.slice(from) };
}

/** IndexStore.sampleEntries: `count` distinct entries chosen with `random` (a partial Fisher–Yates shuffle). */
export function sampleEntries(c: LocalCollection, index: string, count: number, random: () => number): IndexEntry[] {
  const info = c.catalog.get(index);
  const ix = c.entries.get(index);
  if (info === undefined || ix === undefined) return [];
  const all = allEntries(ix, info);
  const n = Math.min(count, all.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (all.length - i));
    [all[i], all[j]] = [all[j] as IndexEntry, all[i] as IndexEntry];
  }
  return all.slice(0, n);
}

/** IndexStore.repairEntries over a collection. */
export function repairEntries(c: LocalCollection, r: EntryRepair, catalogVersion: number): RepairOutcome {
  if (catalogVersion !== c.version) return 'catalog_changed';
  const recorded = c.records.get(r.id);
  if (recorded?.seq !== r.expectedRecordSeq) return 'changed';
  for (const [name, info] of c.catalog) {
    const ix = c.entries.get(name) as LocalIndex;
    const next = r.values?.[name] ?? [];
    const keep = new Set(next);
    for (const v of [...(recorded?.values?.[name] ?? []), ...(r.remove[name] ?? [])]) if (!keep.has(v)) removeEntry(ix, info, v, r.id);
    for (const v of next) {
      if (info.kind === 'unique' && (ix.owners.get(v) ?? r.id) !== r.id) continue; // another document holds it: left alone
      addEntry(ix, info, v, r.id);
    }
  }
  if (r.values === null) c.all.delete(r.id);
  else c.all.add(r.id);
  if (r.values !== null || recorded !== undefined) {
    c.records.set(r.id, { seq: r.seq, catalogVersion, values: r.values === null ? null : copyValues(r.values) });
  }
  return 'repaired';
}
