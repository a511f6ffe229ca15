/**
 * A sorted set of strings in UTF-8 byte order, kept as a list of sorted
 * chunks so that insert, delete and seek cost O(log n + chunk) instead of the
 * O(n) of one big array. Used by the filesystem store's listing index (one
 * set per directory).
 */
import { compareUtf8 } from '../../common/utf8-order.js';

/** Chunks are split above this many names and built at half of it. */
const MAX_CHUNK = 1024;

/** A sorted set of strings (UTF-8 byte order) with ordered seeks. */
export class SortedNames {
  /** Non-empty sorted chunks; every name of chunk i sorts before every name of chunk i + 1. */
  private chunks: string[][] = [];
  private count = 0;

  /** A set holding `sorted`, which must be strictly ascending in UTF-8 byte order. */
  static fromSorted(sorted: readonly string[]): SortedNames {
    const set = new SortedNames();
    for (let i = 0; i < sorted.length; i += MAX_CHUNK / 2) set.chunks.push(sorted.slice(i, i + MAX_CHUNK / 2));
    set.count = sorted.length;
    return set;
  }

  /** How many names the set holds. */
  get size(): number {
    return this.count;
  }

  /** True when `name` is in the set. */
  has(name: string): boolean {
    const c = this.chunkFor(name);
    if (c === this.chunks.length) return false;
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, name);
    return i < chunk.length && chunk[i] === name;
  }

  /** Adds `name`; false when it was already there. */
  add(name: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([name]);
      this.count = 1;
      return true;
    }
    const c = Math.min(this.chunkFor(name), this.chunks.length - 1); // past the end: append to the last chunk
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, name);
    if (i < chunk.length && chunk[i] === name) return false;
    chunk.splice(i, 0, name);
    this.count++;
    if (chunk.length > MAX_CHUNK) this.chunks.splice(c, 1, chunk.slice(0, MAX_CHUNK / 2), chunk.slice(MAX_CHUNK / 2));
    return true;
  }

  /** Removes `name`; false when it was not there. */
  delete(name: string): boolean {
    const c = this.chunkFor(name);
    if (c === this.chunks.length) return false;
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, name);
    if (i === chunk.length || chunk[i] !== name) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  /** The least name ≥ `name` (or > `name` when `strict`), or undefined. */
  ceiling(name: string, strict = false): string | undefined {
    let c = this.chunkFor(name);
    while (c < this.chunks.length) {
      const chunk = this.chunks[c]!;
      let i = lowerBound(chunk, name);
      if (strict && i < chunk.length && chunk[i] === name) i++;
      if (i < chunk.length) return chunk[i];
      c++;
    }
    return undefined;
  }

  /** Every name in order (for tests and diagnostics). */
  *[Symbol.iterator](): IterableIterator<string> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** The first chunk whose last name is ≥ `name`; chunks.length when there is none. */
  private chunkFor(name: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (compareUtf8(chunk[chunk.length - 1]!, name) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The first index of `sorted` whose name is ≥ `name`. */
function lowerBound(sorted: readonly string[], name: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUtf8(sorted[mid]!, name) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
