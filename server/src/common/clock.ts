import { randomBytes } from 'node:crypto';
import { sleep } from './abort.js';

/**
 * Time and randomness as injected ports. The core layers (eslint.config.mjs:
 * model … engine) never read the wall clock or Math.random themselves; they
 * receive a Clock and a RandomSource, so that tests and simulations can run
 * on a manual clock (manual-clock.ts) and replay random choices. Only the
 * composition root (main.ts) and the edges pick the system ones.
 */

/** The time source of a part: the current instant and a cancellable wait. */
export interface Clock {
  /** The current instant, in ms since the Unix epoch. */
  now(): number;
  /** The current instant as a Date (the same instant as now()). */
  date(): Date;
  /**
   * Resolves after `ms` milliseconds of this clock, or rejects with the abort
   * DbError (common/abort.ts) as soon as `signal` aborts.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock and real timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  date: () => new Date(),
  sleep: (ms, signal) => sleep(ms, signal),
};

/** The randomness of a part: jitter and unguessable ids. */
export interface RandomSource {
  /** A number in [0, 1), uniformly distributed (backoff jitter). */
  random(): number;
  /** `n` random bytes; the system source's are cryptographically strong (ids, keys). */
  bytes(n: number): Uint8Array;
}

/** Math.random for jitter, crypto.randomBytes for bytes. */
export const systemRandom: RandomSource = {
  random: () => Math.random(),
  bytes: (n) => randomBytes(n),
};
