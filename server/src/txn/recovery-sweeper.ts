/**
 * Runs transaction recovery (TxnRecovery.sweep) at start-up and then
 * periodically, so that a transaction whose server died is finished even
 * when no reader or writer meets its documents.
 */
import type { RecoverOutcome, RecoveryLog } from './txn-recovery.js';

/** What the sweeper runs: DocumentEngine.recoverTransactions. */
export type Sweep = (signal?: AbortSignal) => Promise<Record<RecoverOutcome, number>>;

/** Sweeps now and every intervalMs until closed. */
export class RecoverySweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly stopping = new AbortController();

  constructor(
    private readonly sweep: Sweep,
    private readonly intervalMs: number,
    private readonly log?: RecoveryLog,
  ) {}

  /** Runs the first sweep (its failure is logged, not thrown) and schedules the next ones. */
  async start(): Promise<Record<RecoverOutcome, number> | undefined> {
    const first = await this.runOnce();
    this.timer = setInterval(() => {
      if (this.running === undefined) this.running = this.runOnce().then(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
    return first;
  }

  /** Stops the timer and waits for a sweep in progress (aborting its storage calls). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
  }

  private async runOnce(): Promise<Record<RecoverOutcome, number> | undefined> {
    try {
      const counts = await this.sweep(this.stopping.signal);
      if (counts.committed + counts.aborted > 0) this.log?.info({ ...counts }, 'recovered transactions');
      return counts;
    } catch (err) {
      if (!this.stopping.signal.aborted) this.log?.warn({ err }, 'transaction recovery sweep failed; retried later');
      return undefined;
    }
  }
}
