/**
 * The in-process index structures of the LocalIndexStore (one collection,
 * its indexes, the per-document records) and the entry operations shared by
 * the store and its check/repair (local-index-check.ts).
 */
import { decodeOrderedValue } from '../extract-values.js';
import type { IndexValues } from '../index-store.js';
import type { IndexInfo } from '../../model/index-def.js';
import { SortedEntries } from '../sorted-entries.js';

/** The per-document record: last applied write and its values (null: deleted). */
export interface LocalRecord {
  readonly seq: number;
  readonly catalogVersion: number;
  readonly values: IndexValues | null;
}

/** The entries of one index. */
export interface LocalIndex {
  /** equality: value → ids. */
  readonly sets: Map<string, Set<string>>;
  /** unique: value → confirmed owner. */
  readonly owners: Map<string, string>;
  /** unique: value → pending reservation. */
  readonly reservations: Map<string, { id: string; expiresAt: number }>;
  /** ordered. */
  readonly numbers: SortedEntries<number>;
  readonly strings: SortedEntries<string>;
}

/** Everything of one collection. */
export interface LocalCollection {
  version: number;
  seq: number;
  readonly catalog: Map<string, IndexInfo>;
  readonly entries: Map<string, LocalIndex>;
  readonly all: Set<string>;
  readonly records: Map<string, LocalRecord>;
}

/** An index without entries. */
export function emptyIndex(): LocalIndex {
  return {
    sets: new Map(),
    owners: new Map(),
    reservations: new Map(),
    numbers: new SortedEntries<number>(),
    strings: new SortedEntries<string>(),
  };
}

/** A deep copy of values. */
export function copyValues(values: IndexValues): IndexValues {
  const out: Record<string, readonly string[]> = {};
  for (const [k, v] of Object.entries(values)) out[k] = [...v];
  return out;
}

/** Adds the entry (value → id) (a unique value: sets its owner, confirms id's reservation). */
export function addEntry(ix: LocalIndex, info: IndexInfo, v: string, id: string): void {
  if (info.kind === 'equality') {
    let s = ix.sets.get(v);
    if (s === undefined) ix.sets.set(v, (s = new Set()));
    s.add(id);
  } else if (info.kind === 'unique') {
    ix.owners.set(v, id);
    if (ix.reservations.get(v)?.id === id) ix.reservations.delete(v);
  } else {
    const d = decodeOrderedValue(v);
    if (typeof d === 'number') ix.numbers.insert(d, id);
    else ix.strings.insert(d, id);
  }
}

/** Removes the entry (value → id) if present (a unique value: only if id owns it). */
export function removeEntry(ix: LocalIndex, info: IndexInfo, v: string, id: string): void {
  if (info.kind === 'equality') {
    const s = ix.sets.get(v);
    s?.delete(id);
    if (s?.size === 0) ix.sets.delete(v);
  } else if (info.kind === 'unique') {
    if (ix.owners.get(v) === id) ix.owners.delete(v);
  } else {
    const d = decodeOrderedValue(v);
    if (typeof d === 'number') ix.numbers.remove(d, id);
    else ix.strings.remove(d, id);
  }
}
