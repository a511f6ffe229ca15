/**
 * A background round run every `intervalMs` (after the previous one ends,
 * so rounds never overlap) until closed: the feed sweeper's and the expiry
 * purger's loop. close() stops it and waits for a round in progress; the
 * round sees `signal` aborted.
 */
export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly stopper = new AbortController();

  /** `round` runs every `intervalMs`; its failures are its own to handle (a rejected round is ignored). */
  constructor(
    private readonly round: () => Promise<unknown>,
    private readonly intervalMs: number,
  ) {}

  /** Aborted by close(). */
  get signal(): AbortSignal {
    return this.stopper.signal;
  }

  /** Starts the rounds (the first after one interval). */
  start(): void {
    const tick = (): void => {
      this.running = this.round()
        .catch(() => undefined)
        .finally(() => {
          this.running = undefined;
          if (!this.stopper.signal.aborted) this.timer = setTimeout(tick, this.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.intervalMs).unref();
  }

  /** Stops the rounds and waits for one in progress. */
  async close(): Promise<void> {
    this.stopper.abort();
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }
}
