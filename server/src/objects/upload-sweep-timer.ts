/**
 * Runs the abandoned-upload sweep (ObjectEngine.sweepUploads) every
 * SB_UPLOAD_SWEEP_MS on every server; the round itself takes the
 * coordinator's `sweep:uploads` mutex, so one server does each round. A
 * failed round is logged and retried at the next tick; close() stops the
 * timer and aborts and awaits a round in progress (shutdown).
 */
import type { SweepReport } from './resumable/upload-sweeper.js';

/** What the timer runs (ObjectEngine.sweepUploads). */
export type UploadSweep = (signal: AbortSignal) => Promise<SweepReport | undefined>;

/** Where the timer reports (a logger's subset). */
export interface UploadSweepLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** See the file comment. */
export class UploadSweepTimer {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly stopping = new AbortController();

  constructor(
    private readonly sweep: UploadSweep,
    private readonly intervalMs: number,
    private readonly log?: UploadSweepLog,
  ) {}

  /** Schedules the rounds (the first one interval from now). */
  start(): void {
    this.timer = setInterval(() => {
      if (this.running === undefined)
        this.running = this.runOnce().then(() => {
          this.running = undefined;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a round in progress (its storage calls aborted). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
  }

  /** One round now (tests; the timer's ticks call it too); never throws. */
  async runOnce(): Promise<SweepReport | undefined> {
    try {
      const report = await this.sweep(this.stopping.signal);
      if (report !== undefined && report.aborted + report.deleted + report.completed + report.orphans > 0)
        this.log?.info({ ...report }, 'upload sweep');
      return report;
    } catch (err) {
      if (!this.stopping.signal.aborted) this.log?.warn({ err }, 'upload sweep failed; retried at the next round');
      return undefined;
    }
  }
}
