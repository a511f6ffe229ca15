import type { EpochRecord, EpochStore } from '../coordination/epoch-store.js';
import { DbError } from '../errors/db-error.js';
import { COORDINATION_EPOCH_KEY } from '../format/bucket-layout.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';

/**
 * The coordination epoch kept in storage at `_meta/coordination-epoch`
 * (docs/storage-format.md, docs/locks.md): JSON `{"epoch": n}`, created with
 * a create-only write and bumped with If-Match, so servers that detect the
 * same loss of Redis at once agree on one new epoch.
 */
export class DurableEpochStore implements EpochStore {
  constructor(private readonly store: BlobStore) {}

  /** The stored epoch and its etag; undefined when never written. */
  async read(signal?: AbortSignal): Promise<EpochRecord | undefined> {
    const blob = await this.store.get(COORDINATION_EPOCH_KEY, signal);
    if (blob === undefined) return undefined;
    return { epoch: decodeEpoch(blob.body), version: blob.etag };
  }

  /** Writes `epoch` if the record is still at `expectedVersion` (undefined: absent); false when it changed. */
  async replace(epoch: number, expectedVersion: string | undefined, signal?: AbortSignal): Promise<boolean> {
    const body = new TextEncoder().encode(JSON.stringify({ epoch }));
    try {
      await this.store.put(
        COORDINATION_EPOCH_KEY,
        body,
        expectedVersion === undefined ? { ifNoneMatch: true } : { ifMatch: expectedVersion },
        signal,
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionFailedError) return false;
      throw e;
    }
  }
}

/** The epoch of a stored record; a record that is not `{"epoch": <integer ≥ 0>}` is an internal error. */
export function decodeEpoch(body: Uint8Array): number {
  let epoch: unknown;
  try {
    epoch = (JSON.parse(new TextDecoder().decode(body)) as { epoch?: unknown }).epoch;
  } catch (cause) {
    throw new DbError('internal', 'INTERNAL_ERROR', `${COORDINATION_EPOCH_KEY} is not JSON`, { cause });
  }
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new DbError('internal', 'INTERNAL_ERROR', `${COORDINATION_EPOCH_KEY} holds no valid epoch`);
  }
  return epoch;
}
