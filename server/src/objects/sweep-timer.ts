/**
 * Runs one kind of sweep round (abandoned uploads, the trash, the orphan
 * scan: ObjectEngine.sweepUploads / sweepTrash / scanOrphans) every
 * `intervalMs` on every server; the round itself takes its coordinator
 * mutex, so one server does each round. A round that did something is
 * logged under the timer's name; a failed round is logged and retried at the
 * next tick; close() stops the timer and aborts and awaits a round in
 * progress (shutdown).
 */

/** What the timer runs: one round, its report (or undefined when another server ran it). */
export type SweepRound<R extends object> = (signal: AbortSignal) => Promise<R | undefined>;

/** Where the timer reports (a logger's subset). */
export interface SweepLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Whether a report says the round did something (then it is logged): any non-zero number in it. */
export const didSomething = (report: object): boolean => Object.values(report).some((v) => typeof v === 'number' && v > 0);

/** See the file comment. */
export class SweepTimer<R extends object> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly stopping = new AbortController();

  /**
   * @param name what the log lines say ('upload sweep', 'trash sweep', …)
   * @param worthLogging which reports are logged (default: any non-zero count)
   */
  constructor(
    readonly name: string,
    private readonly round: SweepRound<R>,
    private readonly intervalMs: number,
    private readonly log?: SweepLog,
    private readonly worthLogging: (report: R) => boolean = didSomething,
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
  async runOnce(): Promise<R | undefined> {
    try {
      const report = await this.round(this.stopping.signal);
      if (report !== undefined && this.worthLogging(report)) this.log?.info({ ...report }, this.name);
      return report;
    } catch (err) {
      if (!this.stopping.signal.aborted) this.log?.warn({ err }, `${this.name} failed; retried at the next round`);
      return undefined;
    }
  }
}
