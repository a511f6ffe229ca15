/**
 * In-process notifications of appended lines (docs/adr/0013 §11): the
 * flusher calls notify after each chunk this server wrote; a follower at the
 * tail waits for one or for its poll interval, whichever comes first (lines
 * appended through other servers are found by the poll; storage is the
 * truth, a notification only shortens the wait).
 */

/** Wakes a log's waiting followers. */
export class LogNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Wakes every follower of `log` waiting now. */
  notify(log: string): void {
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
