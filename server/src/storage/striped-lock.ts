/**
 * In-process per-key mutual exclusion with a fixed memory cost: a fixed array
 * of async mutexes ("stripes") indexed by a hash of the key. Two keys may share
 * a stripe (they then serialise needlessly, never incorrectly).
 */
import { abortError, throwIfAborted } from '../common/abort.js';

/** One FIFO async mutex. */
class AsyncMutex {
  private locked = false;
  private readonly waiters: Array<() => void> = [];

  /** Resolves with a release function once the mutex is held; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    throwIfAborted(signal);
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.releaser());
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.locked = false;
    };
  }
}

/** A fixed set of mutexes, one chosen per key. */
export class StripedLock {
  private readonly stripes: AsyncMutex[];

  /** @param stripeCount how many mutexes (default 256). */
  constructor(stripeCount = 256) {
    this.stripes = Array.from({ length: stripeCount }, () => new AsyncMutex());
  }

  /** Runs `fn` while holding the key's stripe; always releases it. */
  async withLock<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.stripes[this.stripeOf(key)].acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** FNV-1a over the key's UTF-16 code units, modulo the stripe count. */
  private stripeOf(key: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h % this.stripes.length;
  }
}
