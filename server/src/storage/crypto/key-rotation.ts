/**
 * RotateKeys (docs/adr/0016): walks the stored bodies under the encrypted
 * prefixes and moves every one not sealed under the keyring's primary KEK
 * to it — re-wrapping its data key (the ciphertext stays byte for byte), or
 * sealing it whole when it is a clear legacy body. Each write is a
 * compare-and-swap on the etag just read, on the store *below* the
 * encryption (stored bytes). A failed condition means a concurrent write
 * won: the key is read again and is skipped when it is now under the
 * primary, retried otherwise (a server with an older keyring wrote it), up
 * to maxRounds reads. No write is ever lost: nothing is written blind.
 */
import type { CallContext } from '../../api/call-context.js';
import type { KeyRotationApi, RotateKeysInput, RotateKeysProgress } from '../../api/key-rotation-api.js';
import { throwIfAborted } from '../../common/abort.js';
import { isDbError } from '../../errors/db-error.js';
import { collectionPrefix } from '../../format/bucket-layout.js';
import { validateCollection } from '../../model/keys.js';
import { ConditionFailedError, type BlobStore } from '../blob-store.js';
import type { KeyringRef } from './keyring.js';
import { isSealed, rewrap, seal, sealedKekId } from './sealed-body.js';

/** Options of KeyRotation. */
export interface KeyRotationOptions {
  /** The store below the encryption: stored bytes, conditional writes. */
  readonly raw: BlobStore;
  /** The current keyring. */
  readonly keyring: KeyringRef;
  /** The encrypted prefixes walked when no collection is given. */
  readonly prefixes: readonly string[];
  /** Keys rotated at once. Default 16. */
  readonly concurrency?: number;
  /** Reads of one key before it counts as failed. Default 5. */
  readonly maxRounds?: number;
}

/** How one key ended. */
type Outcome = 'rewritten' | 'skipped' | { readonly failed: string };

const MAX_FAILED_KEYS = 100;

/** The KeyRotationApi over a raw store and a keyring. */
export class KeyRotation implements KeyRotationApi {
  constructor(private readonly o: KeyRotationOptions) {}

  /** See the file comment; a progress message per listed page (up to 1000 keys), then the totals. */
  async *rotateKeys(ctx: CallContext, input: RotateKeysInput): AsyncGenerator<RotateKeysProgress, void, undefined> {
    if (input.collection !== undefined) validateCollection(input.collection);
    const prefixes = input.collection !== undefined ? [collectionPrefix(input.collection)] : this.o.prefixes;
    const counts = { scanned: 0, rewritten: 0, skipped: 0, failed: 0 };
    const failedKeys: string[] = [];
    const progress = (done: boolean): RotateKeysProgress => ({
      ...counts,
      done,
      primaryKeyId: this.o.keyring.get().primary,
      failedKeys: done ? [...failedKeys] : [],
    });
    for (const prefix of prefixes) {
      let startAfter: string | undefined;
      for (;;) {
        throwIfAborted(ctx.signal);
        const page = await this.o.raw.list({ prefix, limit: 1000, ...(startAfter !== undefined ? { startAfter } : {}) }, ctx.signal);
        const outcomes = await this.mapLimited(page.keys, (key) => this.rotateOne(key, ctx.signal));
        page.keys.forEach((key, i) => {
          const out = outcomes[i]!;
          counts.scanned++;
          if (typeof out === 'string') counts[out]++;
          else {
            counts.failed++;
            if (failedKeys.length < MAX_FAILED_KEYS) failedKeys.push(`${key}: ${out.failed}`);
          }
        });
        if (page.keys.length > 0) yield progress(false);
        if (!page.isTruncated || page.keys.length === 0) break;
        startAfter = page.keys[page.keys.length - 1];
      }
    }
    yield progress(true);
  }

  /** Moves one key to the primary KEK (see the file comment). */
  private async rotateOne(key: string, signal: AbortSignal): Promise<Outcome> {
    const rounds = Math.max(1, this.o.maxRounds ?? 5);
    for (let round = 0; round < rounds; round++) {
      const blob = await this.o.raw.get(key, signal);
      if (blob === undefined) return 'skipped';
      const ring = this.o.keyring.get();
      if (sealedKekId(blob.body) === ring.primary) return 'skipped';
      let next: Uint8Array;
      try {
        next = isSealed(blob.body) ? rewrap(key, blob.body, ring) : seal(key, blob.body, ring);
      } catch (e) {
        if (isDbError(e, 'DECRYPTION_FAILED') || isDbError(e, 'ENCRYPTION_KEY_UNKNOWN')) return { failed: e.reason };
        throw e;
      }
      try {
        await this.o.raw.put(key, next, { ifMatch: blob.etag }, signal);
        return 'rewritten';
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
      }
    }
    return { failed: `CONCURRENT_MODIFICATION (${rounds} rounds)` };
  }

  /** `fn` over `items`, at most `concurrency` at once, results in order. */
  private async mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
    const out = new Array<R>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 16, items.length) }, worker));
    return out;
  }
}
