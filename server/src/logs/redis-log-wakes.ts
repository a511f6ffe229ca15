/**
 * Redis pub/sub relay of log notifications (docs/adr/0013 §11): a server
 * that wrote a chunk publishes the log's name on one channel; every server
 * subscribes to it on a connection of its own and wakes its followers of
 * that log. Publishing is fire and forget and at most one message per log
 * is in flight at a time per server (a burst of flushes sends one more
 * message after the current one, not one per chunk). Storage stays the
 * truth: a message lost while Redis is away costs a follower one poll
 * interval (SB_LOG_FOLLOW_POLL_MS), never a line. ioredis subscribes again
 * after a reconnect.
 */
import type { RedisClient } from '../coordination/redis/redis-connection.js';

/** The channel every server publishes on and subscribes to. */
export const LOG_WAKES_CHANNEL = 'sb:log-wakes';

/** Publishes and receives log notifications through Redis. */
export class RedisLogWakes {
  /** Logs whose message is being published now, and whether another is owed after it. */
  private readonly inFlight = new Map<string, boolean>();
  private closed = false;

  /**
   * `publisher` is a shared command connection; `subscriber` becomes a
   * subscriber connection (it can run no other command afterwards) and is
   * closed by close(). `onWake` receives each relayed log name.
   */
  private constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    onWake: (log: string) => void,
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === LOG_WAKES_CHANNEL && !this.closed) onWake(message);
    });
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
    this.subscriber.disconnect();
    await Promise.resolve();
  }
}
