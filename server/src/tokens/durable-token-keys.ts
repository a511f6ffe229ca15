import { systemClock, systemRandom, type Clock, type RandomSource } from '../common/clock.js';
import { abortError, throwIfAborted } from '../common/abort.js';
import { DbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import {
  acceptedKeys,
  decodeKeyring,
  encodeKeyring,
  rotate,
  signingKey,
  type Keyring,
  type RingKey,
  type RotationPolicy,
} from './keyring.js';
import type { TokenKey, TokenKeys } from './token-keys.js';
import { TOKEN_KEYRING_KEY } from '../format/bucket-layout.js';

/**
 * Token keys kept durably in object storage at `_meta/token-keys`, so tokens
 * survive any server restart and any loss of Redis. The first server creates
 * the ring with a create-only write (racing servers all end up with the
 * winner's ring); every server reloads it every `refreshMs`, and rotates it
 * with a compare-and-swap when the newest key is due (keyring.ts).
 */

const MAX_ATTEMPTS = 10;

/** The little of a logger the ring needs (a pino Logger fits). */
export interface KeyringLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Options of DurableTokenKeys. */
export interface DurableTokenKeysOptions {
  readonly store: BlobStore;
  /** Rotation period, in ms; 0 = never [0]. */
  readonly rotateAfterMs?: number;
  /** How long a replaced key keeps verifying, in ms [7 days]. */
  readonly overlapMs?: number;
  /** How often the ring is reloaded (and rotated when due), in ms; 0 = only at open [60,000]. New keys start signing 3 × this after their creation. */
  readonly refreshMs?: number;
  /** Unknown key ids reload the ring at most this often, in ms [1,000]. */
  readonly minReloadGapMs?: number;
  /** The clock of key activation, expiry and reload gaps [systemClock]. */
  readonly clock?: Clock;
  /** Where key ids and secrets come from; must be cryptographically strong [systemRandom]. */
  readonly random?: RandomSource;
  readonly log?: KeyringLog;
}

/** The durable keyring (see the file comment). */
export class DurableTokenKeys implements TokenKeys {
  private ring: Keyring = { keys: [] };
  private readonly policy: RotationPolicy;
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;
  private readonly minReloadGapMs: number;
  private lastLoadMs = -Infinity;
  private loading?: Promise<void>;
  private timer?: NodeJS.Timeout;

  private constructor(private readonly options: DurableTokenKeysOptions) {
    const refreshMs = options.refreshMs ?? 60_000;
    this.policy = {
      rotateAfterMs: options.rotateAfterMs ?? 0,
      overlapMs: options.overlapMs ?? 7 * 24 * 3_600_000,
      activationDelayMs: 3 * refreshMs,
    };
    const clock = options.clock ?? systemClock;
    const random = options.random ?? systemRandom;
    this.now = () => clock.now();
    this.random = (n) => Buffer.from(random.bytes(n));
    this.minReloadGapMs = options.minReloadGapMs ?? 1000;
  }

  /** Loads the ring (creating it when absent, rotating it when due) and starts the periodic refresh. */
  static async open(options: DurableTokenKeysOptions, signal?: AbortSignal): Promise<DurableTokenKeys> {
    const keys = new DurableTokenKeys(options);
    await keys.sync(signal);
    const refreshMs = options.refreshMs ?? 60_000;
    if (refreshMs > 0) {
      keys.timer = setInterval(() => {
        keys.sync().catch((err: unknown) => options.log?.warn({ err }, 'token keyring refresh failed; keeping the keys loaded before'));
      }, refreshMs);
      keys.timer.unref();
    }
    return keys;
  }

  /** The newest active key. */
  signingKey(): TokenKey {
    return signingKey(this.ring, this.now(), this.policy);
  }

  /** An accepted key; an id never seen reloads the ring first (at most once per minReloadGapMs). */
  async verifyingKey(id: string, signal?: AbortSignal): Promise<TokenKey | undefined> {
    const find = (): RingKey | undefined => acceptedKeys(this.ring, this.now(), this.policy).find((k) => k.id === id);
    const found = find();
    if (found !== undefined || this.ring.keys.some((k) => k.id === id)) return found;
    if (this.now() - this.lastLoadMs < this.minReloadGapMs) return undefined;
    await this.reload(signal);
    return find();
  }

  /** Reloads the ring and rotates it when due (what the timer does). */
  async sync(signal?: AbortSignal): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.options.store.get(TOKEN_KEYRING_KEY, signal);
      const nowMs = this.now();
      const ring = current === undefined ? undefined : decodeKeyring(current.body, TOKEN_KEYRING_KEY);
      const next = ring === undefined ? { keys: [this.newKey(nowMs)] } : rotate(ring, nowMs, this.policy, (t) => this.newKey(t));
      if (next === undefined) return this.adopt(ring!, nowMs);
      try {
        const cond = current === undefined ? { ifNoneMatch: true as const } : { ifMatch: current.etag };
        await this.options.store.put(TOKEN_KEYRING_KEY, encodeKeyring(next), cond, signal);
        this.options.log?.info(
          { keys: next.keys.map((k) => k.id) },
          current === undefined ? 'token keyring created' : 'token keyring rotated',
        );
        return this.adopt(next, nowMs);
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e; // another server wrote it first: read theirs
      }
    }
    throw new DbError('aborted', 'CONCURRENT_MODIFICATION', 'token keyring is changing too fast; retry');
  }

  /** Stops the refresh timer. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reloads the ring; concurrent callers share one read, each stops waiting when its own signal aborts. */
  private async reload(signal?: AbortSignal): Promise<void> {
    this.loading ??= (async () => {
      try {
        const current = await this.options.store.get(TOKEN_KEYRING_KEY);
        if (current !== undefined) this.adopt(decodeKeyring(current.body, TOKEN_KEYRING_KEY), this.now());
      } finally {
        this.loading = undefined;
      }
    })();
    const loading = this.loading;
    if (signal === undefined) return loading;
    throwIfAborted(signal);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      loading.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private adopt(ring: Keyring, nowMs: number): void {
    this.ring = ring;
    this.lastLoadMs = nowMs;
  }

  private newKey(createdAtMs: number): RingKey {
    return { id: this.random(6).toString('base64url'), secret: this.random(32), createdAtMs };
  }
}
