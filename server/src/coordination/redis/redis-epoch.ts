/**
 * Loss detection of Redis (issue 10, docs/locks.md "Losing Redis").
 *
 * Redis holds a marker key (`<prefix>epoch`) with the current coordination
 * epoch; storage holds the newest epoch ever started (EpochStore). A server
 * reads the marker at start, on every reconnect and every
 * SB_REDIS_LOSS_CHECK_MS. A missing marker means Redis lost its data
 * (restarted empty, or failed over to a replica without it): the server bumps
 * the durable epoch with a compare-and-swap and seeds the marker with
 * SET NX; racing detectors lose the swap or the SET and adopt whatever
 * marker is then in Redis. A marker different from the epoch this process
 * knew is a loss too (another server noticed it first).
 *
 * Why it is safe: a lease is granted only while the marker equals the
 * granting server's epoch (checked inside the grant script), and a bump
 * is always to a value above the durable epoch read *after* the marker was
 * seen missing, so every epoch used after a loss is greater than every epoch
 * used before it. Epochs occupy the high bits of fencing tokens.
 */
import { DbError } from '../../errors/db-error.js';
import type { CoordinationLoss } from '../coordinator.js';
import type { EpochStore } from '../epoch-store.js';
import { redisUnavailable } from './redis-connection.js';

/** The Redis side of the epoch: one key. */
export interface EpochMarker {
  /** The marker's epoch, undefined when the key is missing. */
  get(): Promise<number | undefined>;
  /** Sets the marker to `epoch` only if it is missing; true when this call set it. */
  setIfMissing(epoch: number): Promise<boolean>;
}

/** The largest epoch: epochs × 2^32 + counters must stay exact in Redis's Lua doubles (< 2^53). */
export const MAX_EPOCH = 2 ** 21 - 1;

/** Bits of a fencing token below the epoch (the per-name counter of one epoch). */
export const EPOCH_SHIFT = 32n;

/** How many marker/storage rounds one sync tries before giving up (each lost race is another server's progress). */
const MAX_ROUNDS = 10;

/** The epoch's high part of every fencing token granted in `epoch`. */
export function epochBase(epoch: number): bigint {
  return BigInt(epoch) << EPOCH_SHIFT;
}

/** The epoch a fencing token was granted in. */
export function epochOfToken(token: bigint): number {
  return Number(token >> EPOCH_SHIFT);
}

/** Tracks the coordination epoch of this process (see the file comment). */
export class RedisEpoch {
  private epoch: number | undefined;
  private syncing: Promise<number> | undefined;
  private readonly listeners = new Set<(loss: CoordinationLoss) => void>();

  constructor(
    private readonly marker: EpochMarker,
    private readonly store: EpochStore,
  ) {}

  /** The epoch this process works in; undefined before the first sync. */
  get current(): number | undefined {
    return this.epoch;
  }

  /** Calls `listener` on every detected loss; returns the unsubscribe function. */
  onLoss(listener: (loss: CoordinationLoss) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Checks the marker (re-seeding it after a loss) and returns the current
   * epoch. Concurrent calls share one check. Throws when Redis or storage
   * fails (the caller retries on its next trigger).
   */
  sync(): Promise<number> {
    this.syncing ??= this.syncOnce().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(): Promise<number> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const seen = await this.marker.get();
      if (seen !== undefined) return this.adopt(seen);
      // Redis has no marker: read the durable epoch *after* seeing that, and start the next one.
      const record = await this.store.read();
      const next = Math.max(record?.epoch ?? -1, this.epoch ?? -1) + 1;
      if (next > MAX_EPOCH) throw new DbError('internal', 'INTERNAL_ERROR', `coordination epoch ${next} exceeds ${MAX_EPOCH}`);
      if (await this.store.replace(next, record?.version)) await this.marker.setIfMissing(next);
      // Won or lost, the marker now in Redis is the answer (or it vanished again: another round).
    }
    throw redisUnavailable(`the coordination epoch did not settle after ${MAX_ROUNDS} rounds`);
  }

  private adopt(epoch: number): number {
    const previous = this.epoch;
    this.epoch = epoch;
    if (previous !== undefined && previous !== epoch) {
      for (const listener of this.listeners) listener({ previousEpoch: previous, epoch });
    }
    return epoch;
  }
}
