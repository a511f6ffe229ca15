/**
 * The purger of expired documents (docs/streams.md, "Document expiry
 * (TTL)"): every `intervalMs` it takes the ids due on the schedule and
 * purges each through the engine (read; absent, rewritten or no longer
 * expired → dropped; else a delete of exactly that version, which removes
 * its index entries and publishes one EXPIRE change), `concurrency` at a
 * time. An id whose purge failed (storage unavailable) is scheduled again
 * for the next round. The schedule is a port (purge-schedule.ts): in process,
 * or shared through Redis, where taking an id claims it for this server.
 */
import type { Clock } from '../common/clock.js';
import type { PurgeSchedule, ScheduledExpiry } from './purge-schedule.js';
import { Periodic } from '../common/periodic.js';

/** Purges one document if it is still expired (DocumentEngine.purgeExpired). */
export type PurgeOne = (collection: string, id: string, signal: AbortSignal) => Promise<'purged' | 'dropped'>;

/** The little of a logger the purger needs. */
export interface PurgeLog {
  warn(obj: object, msg: string): void;
}

/** What the purger is built from. */
export interface ExpiryPurgerOptions {
  readonly schedule: PurgeSchedule;
  readonly purge: PurgeOne;
  readonly clock: Clock;
  /** How often to take due ids, in ms (SB_TTL_SWEEP_MS). */
  readonly intervalMs: number;
  /** Purges in flight at once. Default 32. */
  readonly concurrency?: number;
  /** The most ids taken per round (the rest wait for the next). Default 10 000. */
  readonly maxPerRound?: number;
  readonly log?: PurgeLog;
  /** Told each purge's outcome (metrics). */
  readonly onOutcome?: (outcome: 'purged' | 'dropped' | 'failed', e: ScheduledExpiry) => void;
}

/** Counts of one round. */
export interface PurgeRound {
  readonly purged: number;
  readonly dropped: number;
  /** Failed, scheduled again. */
  readonly failed: number;
}

/** The periodic purger (see the file comment). */
export class ExpiryPurger {
  private readonly loop: Periodic;

  constructor(private readonly o: ExpiryPurgerOptions) {
    this.loop = new Periodic(() => this.sweep(), o.intervalMs);
  }

  /** One round: purges every id due now (up to maxPerRound). */
  async sweep(): Promise<PurgeRound> {
    let due: ScheduledExpiry[];
    try {
      due = await this.o.schedule.takeDue(this.o.clock.now(), this.o.maxPerRound ?? 10_000, this.loop.signal);
    } catch (err) {
      if (!this.loop.signal.aborted) this.o.log?.warn({ err }, 'taking due expiries failed; retried next round');
      return { purged: 0, dropped: 0, failed: 0 };
    }
    const counts = { purged: 0, dropped: 0, failed: 0 };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length && !this.loop.signal.aborted) {
        const e = due[next++]!;
        await this.purgeOne(e, counts);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 32, due.length) }, worker));
    // Taken but not tried (closing): back on the schedule.
    for (; next < due.length; next++) await this.quietly(() => this.o.schedule.retry(due[next]!));
    return counts;
  }

  /** Sweeps every intervalMs until close(). */
  start(): void {
    this.loop.start();
  }

  /** Stops and waits for a round in progress. */
  async close(): Promise<void> {
    await this.loop.close();
  }

  private async purgeOne(e: ScheduledExpiry, counts: { purged: number; dropped: number; failed: number }): Promise<void> {
    let outcome: 'purged' | 'dropped' | 'failed';
    try {
      outcome = await this.o.purge(e.collection, e.id, this.loop.signal);
    } catch (err) {
      outcome = 'failed';
      if (!this.loop.signal.aborted)
        this.o.log?.warn({ err, collection: e.collection, id: e.id }, 'purging an expired document failed; retried next round');
    }
    counts[outcome]++;
    this.o.onOutcome?.(outcome, e);
    await this.quietly(() => (outcome === 'failed' ? this.o.schedule.retry(e) : this.o.schedule.settle(e, this.o.clock.now())));
  }

  /** Settles or retries an entry; a failure only leaves it to the schedule (a shared one returns a claim when it lapses). */
  private async quietly(step: () => void | Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (!this.loop.signal.aborted)
        this.o.log?.warn({ err }, 'updating the expiry schedule failed; the entry returns when its claim lapses');
    }
  }
}
