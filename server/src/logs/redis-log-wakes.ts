/**
 * Redis pub/sub relay of log notifications (docs/adr/0013 §11): a server
 * that wrote a chunk publishes the log's name on one channel; every server
 * subscribes to it on a connection of its own and wakes its followers of
 * that log. Publishing is fire and forget and at most one message per log
 * is in flight at a time per server (a burst of flushes sends one more
 * message after the current one, not one per chunk). Storage stays the
 * truth: a message lost while Redis is away costs a follower one poll
 * interval (SB_LOG_FOLLOW_POLL_MS), never a line. ioredis subscribes again
 * after a reconnect. On the receiving side a log's followers are woken at
 * most once per WAKE_MIN_INTERVAL_MS (a message inside the interval wakes
 * them at its end): each wake costs a follower a LIST of the log's new
 * chunks, and busy logs flush many chunks a second on every server.
 */
import type { RedisClient } from '../coordination/redis/redis-connection.js';

/** The channel every server publishes on and subscribes to. */
export const LOG_WAKES_CHANNEL = 'sb:log-wakes';

/** Least time between two relayed wakes of one log's followers on one server, in ms. */
export const WAKE_MIN_INTERVAL_MS = 100;

/** Logs whose last wake time is kept; beyond it the oldest are forgotten (they then wake at once). */
const MAX_TRACKED_LOGS = 10_000;

/** Publishes and receives log notifications through Redis. */
export class RedisLogWakes {
  /** Logs whose message is being published now, and whether another is owed after it. */
  private readonly inFlight = new Map<string, boolean>();
  /** When each log's followers were last woken by a relayed message. */
  private readonly lastWake = new Map<string, number>();
  /** Logs with a wake scheduled at the end of their interval. */
  private readonly scheduled = new Map<string, NodeJS.Timeout>();
  private closed = false;

  /**
   * `publisher` is a shared command connection; `subscriber` becomes a
   * subscriber connection (it can run no other command afterwards) and is
   * closed by close(). `onWake` receives each relayed log name.
   */
  private constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly onWake: (log: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === LOG_WAKES_CHANNEL && !this.closed) this.received(message);
    });
  }

  /** Wakes `log`'s followers now, or at the end of its interval when they were woken within it. */
  private received(log: string): void {
    if (this.scheduled.has(log)) return;
    const since = this.now() - (this.lastWake.get(log) ?? -Infinity);
    if (since >= WAKE_MIN_INTERVAL_MS) return this.wake(log);
    const timer = setTimeout(() => {
      this.scheduled.delete(log);
      if (!this.closed) this.wake(log);
    }, WAKE_MIN_INTERVAL_MS - since);
    timer.unref();
    this.scheduled.set(log, timer);
  }

  private wake(log: string): void {
    this.lastWake.delete(log); // re-insert: Map order is the recency order
    this.lastWake.set(log, this.now());
    if (this.lastWake.size > MAX_TRACKED_LOGS) this.lastWake.delete(this.lastWake.keys().next().value!);
    this.onWake(log);
  }

  /** Subscribes `subscriber` and resolves once Redis confirmed it. */
  static async open(publisher: RedisClient, subscriber: RedisClient, onWake: (log: string) => void): Promise<RedisLogWakes> {
    const wakes = new RedisLogWakes(publisher, subscriber, onWake);
    await subscriber.subscribe(LOG_WAKES_CHANNEL);
    return wakes;
  }

  /** Tells every server that `log` grew; never throws, never waits. */
  publish(log: string): void {
    if (this.closed) return;
    if (this.inFlight.has(log)) {
      this.inFlight.set(log, true);
      return;
    }
    this.inFlight.set(log, false);
    void this.publisher
      .publish(LOG_WAKES_CHANNEL, log)
      .catch(() => undefined) // Redis away: followers elsewhere find the lines at their next poll
      .finally(() => {
        const owed = this.inFlight.get(log) === true;
        this.inFlight.delete(log);
        if (owed) this.publish(log);
      });
  }

  /** Stops relaying and closes the subscriber connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.scheduled.values()) clearTimeout(timer);
    this.scheduled.clear();
    this.subscriber.disconnect();
    await Promise.resolve();
  }
}
