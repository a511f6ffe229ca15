import { abortError } from './abort.js';
import type { Clock, RandomSource } from './clock.js';

/**
 * A Clock for tests and simulations that moves only when told: advance(ms)
 * or set(ms) moves it, and wakes the sleeps whose time has come, in wake-up
 * order. With `autoAdvance`, a sleep instead moves the clock by its own
 * length at once (a simulation where waiting costs no real time).
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly autoAdvance: boolean;
  private readonly sleepers: { at: number; wake: () => void }[] = [];
  /** The length of every sleep asked for, in order, in ms. */
  readonly sleeps: number[] = [];

  /** A clock at `startMs` (ms since the epoch; default 1 000 000). */
  constructor(options: { readonly startMs?: number; readonly autoAdvance?: boolean } = {}) {
    this.current = options.startMs ?? 1_000_000;
    this.autoAdvance = options.autoAdvance ?? false;
  }

  /** The clock's instant, in ms since the epoch. */
  now(): number {
    return this.current;
  }

  /** The clock's instant as a Date. */
  date(): Date {
    return new Date(this.current);
  }

  /** Waits until the clock reached now + ms (at once with autoAdvance); rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const wait = Math.max(0, ms);
    this.sleeps.push(wait);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.autoAdvance) {
      this.advance(wait);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const sleeper = {
        at: this.current + wait,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers.splice(this.sleepers.indexOf(sleeper), 1);
        reject(abortError(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
      this.wakeDue();
    });
  }

  /** Moves the clock forward by `ms` and wakes the sleeps that are due. */
  advance(ms: number): void {
    this.set(this.current + ms);
  }

  /** Sets the clock to `ms` since the epoch (never backwards) and wakes the sleeps that are due. */
  set(ms: number): void {
    this.current = Math.max(this.current, ms);
    this.wakeDue();
  }

  /** How many sleeps are waiting. */
  pending(): number {
    return this.sleepers.length;
  }

  private wakeDue(): void {
    const due = this.sleepers.filter((s) => s.at <= this.current).sort((a, b) => a.at - b.at);
    for (const s of due) {
      this.sleepers.splice(this.sleepers.indexOf(s), 1);
      s.wake();
    }
  }
}

/**
 * A replayable RandomSource: a fixed `random()` value (or a sequence that
 * repeats) and bytes from a simple counter, never for secrets.
 */
export function fixedRandom(values: number | readonly number[] = 0.5): RandomSource {
  const seq = typeof values === 'number' ? [values] : values;
  let i = 0;
  let counter = 0;
  return {
    random: () => seq[i++ % seq.length]!,
    bytes: (n) => Uint8Array.from({ length: n }, () => counter++ & 0xff),
  };
}
