/**
 * A least-recently-used map bounded by a total weight (bytes, or simply the
 * entry count with weight 1 per entry). Not thread-aware: callers that need
 * ordering against writes (FilesystemBlobStore, DocumentEngine) provide it.
 */

/** Options of LruCache. */
export interface LruCacheOptions<V> {
  /** The largest total weight kept; 0 disables the cache (nothing is stored). */
  readonly maxWeight: number;
  /** The weight of one entry (default 1: the cache is bounded by its entry count). */
  readonly weigh?: (key: string, value: V) => number;
}

/** An LRU map with a total-weight bound; an entry heavier than the bound is not stored. */
export class LruCache<V> {
  private readonly entries = new Map<string, { value: V; weight: number }>();
  private readonly maxWeight: number;
  private readonly weigh: (key: string, value: V) => number;
  private total = 0;

  constructor(options: LruCacheOptions<V>) {
    if (!Number.isFinite(options.maxWeight) || options.maxWeight < 0) {
      throw new RangeError(`maxWeight must be a non-negative number, got ${options.maxWeight}`);
    }
    this.maxWeight = options.maxWeight;
    this.weigh = options.weigh ?? (() => 1);
  }

  /** The value under `key` (making it the most recently used), or undefined. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` as the most recently used entry, evicting the least recently used ones over the bound. */
  set(key: string, value: V): void {
    this.delete(key);
    const weight = this.weigh(key, value);
    if (weight > this.maxWeight) return;
    this.entries.set(key, { value, weight });
    this.total += weight;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxWeight) break;
      this.entries.delete(oldest);
      this.total -= entry.weight;
    }
  }

  /** Removes `key`; true when it was present. */
  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.total -= entry.weight;
    return true;
  }

  /** How many entries are kept. */
  get size(): number {
    return this.entries.size;
  }

  /** The total weight of the kept entries. */
  get weight(): number {
    return this.total;
  }
}
