/**
 * An in-process ordered index over values of one type (numbers or strings):
 * (value, id) entries kept sorted by value, then id in UTF-8 byte order.
 * Used by the LocalIndexStore; walks follow the ordering decisions of
 * docs/queries.md (desc reverses the values but keeps ties by id ascending).
 */
import { compareUtf8 } from './extract-values.js';

/** One entry. */
export interface SortedEntry<V extends number | string> {
  readonly value: V;
  readonly id: string;
}

/** A bound of a range over V. */
export interface EntryBound<V> {
  readonly value: V;
  readonly inclusive: boolean;
}

/** Sorted (value, id) entries with binary-search insert, remove and range walks. */
export class SortedEntries<V extends number | string> {
  private readonly entries: SortedEntry<V>[] = [];

  /** Number of entries. */
  get size(): number {
    return this.entries.length;
  }

  /** Adds (value, id) unless present. */
  insert(value: V, id: string): void {
    const i = this.search(value, id);
    const e = this.entries[i];
    if (e !== undefined && this.compareValues(e.value, value) === 0 && e.id === id) return;
    this.entries.splice(i, 0, { value, id });
  }

  /** Removes (value, id) if present. */
  remove(value: V, id: string): void {
    const i = this.search(value, id);
    const e = this.entries[i];
    if (e !== undefined && this.compareValues(e.value, value) === 0 && e.id === id) this.entries.splice(i, 1);
  }

  /** True when (value, id) is present. */
  has(value: V, id: string): boolean {
    const e = this.entries[this.search(value, id)];
    return e !== undefined && this.compareValues(e.value, value) === 0 && e.id === id;
  }

  /** Every entry, ascending. */
  pairs(): readonly SortedEntry<V>[] {
    return this.entries;
  }

  /** The ids within [lower, upper], asc: by value then id; desc: by value descending, ties by id ascending. */
  *walk(direction: 'asc' | 'desc', lower?: EntryBound<V>, upper?: EntryBound<V>): Generator<string> {
    const start = lower === undefined ? 0 : this.bound(lower.value, !lower.inclusive);
    const end = upper === undefined ? this.entries.length : this.bound(upper.value, upper.inclusive);
    if (direction === 'asc') {
      for (let i = start; i < end; i++) yield (this.entries[i] as SortedEntry<V>).id;
      return;
    }
    let groupEnd = end;
    while (groupEnd > start) {
      const value = (this.entries[groupEnd - 1] as SortedEntry<V>).value;
      let groupStart = groupEnd - 1;
      while (groupStart > start && this.compareValues((this.entries[groupStart - 1] as SortedEntry<V>).value, value) === 0) {
        groupStart--;
      }
      for (let i = groupStart; i < groupEnd; i++) yield (this.entries[i] as SortedEntry<V>).id;
      groupEnd = groupStart;
    }
  }

  /** First index whose value is > v (after = true) or >= v (after = false). */
  private bound(v: V, after: boolean): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compareValues((this.entries[mid] as SortedEntry<V>).value, v);
      if (c < 0 || (after && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose entry is >= (value, id). */
  private search(value: V, id: string): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.entries[mid] as SortedEntry<V>;
      const c = this.compareValues(e.value, value) || compareUtf8(e.id, id);
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compareValues(a: V, b: V): number {
    if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
    return compareUtf8(String(a), String(b));
  }
}
