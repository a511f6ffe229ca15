/**
 * The most recent chunks this server wrote or read, so that its followers
 * of a log fetch each new chunk once between them (docs/adr/0013 §11).
 * Chunks are immutable, so a cached chunk is never stale.
 */
import type { Chunk } from './chunk-format.js';

/** A bounded least-recently-used map of chunk key → chunk. */
export class ChunkCache {
  private readonly chunks = new Map<string, Chunk>();

  constructor(
    /** The most chunks kept. */
    private readonly capacity = 256,
  ) {}

  /** The cached chunk of `key`, if any (and marks it recently used). */
  get(key: string): Chunk | undefined {
    const chunk = this.chunks.get(key);
    if (chunk !== undefined) {
      this.chunks.delete(key);
      this.chunks.set(key, chunk);
    }
    return chunk;
  }

  /** Caches a chunk, dropping the least recently used past capacity. */
  put(key: string, chunk: Chunk): void {
    this.chunks.delete(key);
    this.chunks.set(key, chunk);
    while (this.chunks.size > this.capacity) this.chunks.delete(this.chunks.keys().next().value!);
  }
}
