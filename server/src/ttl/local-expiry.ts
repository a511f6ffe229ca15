/**
 * Document expiry in process (docs/streams.md, "Document expiry (TTL)"),
 * for in-process coordination (the embedded default): the expiry service
 * over an in-process schedule, rebuilt at start-up from the markers. With
 * Redis coordination RedisExpiry (redis/redis-expiry.ts) shares the schedule
 * between servers instead.
 */
import { ExpiryService, type ExpiryServiceOptions } from './expiry-service.js';
import { ExpirySchedule } from './expiry-schedule.js';

/** What LocalExpiry is built from. */
export type LocalExpiryOptions = ExpiryServiceOptions;

/** The in-process expiry of one server (see the file comment). */
export class LocalExpiry extends ExpiryService {
  /** The in-process purge schedule. */
  declare readonly due: ExpirySchedule;

  constructor(o: LocalExpiryOptions) {
    super(o, new ExpirySchedule());
  }
}
