/**
 * The running SHA-256 of each session this process has received in order
 * (ADR 0013 §6). Native hash state cannot be stored, so it lives here only:
 * a write that finds the state at exactly the committed size continues it;
 * otherwise (another process wrote since, or this one restarted) the
 * completion re-reads the data to hash it. Bounded: past `maxEntries` the
 * oldest state is dropped (its session then pays one re-read).
 */
import { createHash, type Hash } from 'node:crypto';

interface Entry {
  readonly offset: number;
  readonly hash: Hash;
}

/** Running hashes by upload id, each valid for exactly the bytes [0, offset). */
export class RunningHashes {
  private readonly entries = new Map<string, Entry>();

  /** `maxEntries`: states kept at most (default 10,000; each is a few hundred bytes). */
  constructor(private readonly maxEntries = 10_000) {}

  /**
   * Takes the state of `uploadId` for a write that starts its new bytes at
   * `offset`: the stored state if it covers exactly [0, offset), a fresh one
   * when offset is 0, else undefined (the state is removed either way: the
   * caller puts it back when its write commits).
   */
  take(uploadId: string, offset: number): Hash | undefined {
    const entry = this.entries.get(uploadId);
    this.entries.delete(uploadId);
    if (entry !== undefined && entry.offset === offset) return entry.hash;
    return offset === 0 ? createHash('sha256') : undefined;
  }

  /** Keeps `hash` as the state of `uploadId` covering [0, offset). */
  put(uploadId: string, offset: number, hash: Hash): void {
    this.entries.delete(uploadId);
    this.entries.set(uploadId, { offset, hash });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** The hex SHA-256 of [0, size) when the state covers exactly that, else undefined (the state is kept). */
  digest(uploadId: string, size: number): string | undefined {
    const entry = this.entries.get(uploadId);
    return entry !== undefined && entry.offset === size ? entry.hash.copy().digest('hex') : undefined;
  }

  /** Forgets the state of `uploadId`. */
  drop(uploadId: string): void {
    this.entries.delete(uploadId);
  }

  /** How many states are kept. */
  get size(): number {
    return this.entries.size;
  }
}
