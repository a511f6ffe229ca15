/**
 * Notifications of appended lines (docs/adr/0013 §11): the flusher calls
 * notify after each chunk this server wrote; a follower at the tail waits for
 * one or for its poll interval, whichever comes first. With a relay (Redis
 * pub/sub, logs/redis-log-wakes.ts) notify also tells the other servers,
 * whose relay calls wake: their followers see lines appended elsewhere at
 * once instead of at their next poll. Storage stays the truth: a lost
 * message only costs a poll interval.
 */

/** Tells other servers that a log grew (fire and forget). */
export type WakePublisher = (log: string) => void;

/** Wakes a log's waiting followers. */
export class LogNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** `publish`, when given, hears of every notify (not of wake). */
  constructor(private readonly publish?: WakePublisher) {}

  /** This server appended to `log`: wakes its followers here and, through the relay, elsewhere. */
  notify(log: string): void {
    this.wake(log);
    this.publish?.(log);
  }

  /** Wakes every follower of `log` waiting on this server now (a relayed notification). */
  wake(log: string): void {
    const set = this.waiters.get(log);
    if (set === undefined) return;
    this.waiters.delete(log);
    for (const wake of set) wake();
  }

  /** Resolves at the next notify of `log`, after `ms`, or when `signal` aborts; never rejects. */
  wait(log: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(log);
      if (set === undefined) this.waiters.set(log, (set = new Set()));
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.get(log)?.delete(done);
        if (this.waiters.get(log)?.size === 0) this.waiters.delete(log);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
      set.add(done);
      if (signal.aborted) done();
    });
  }

  /** How many followers wait now (for tests and gauges). */
  waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }
}
