/**
 * The durable coordination epoch: a small record in storage (the bucket, not
 * Redis) that counts detected losses of coordination state. The coordinator
 * reads it and bumps it through this port; main.ts wires an implementation
 * over the BlobStore (locks/durable-epoch-store.ts), so coordination/ never
 * imports a storage adapter.
 */

/** The stored epoch and the version (etag) it was read at. */
export interface EpochRecord {
  /** The newest epoch ever started (≥ 0). */
  readonly epoch: number;
  /** Opaque version of the record, for replace(). */
  readonly version: string;
}

/** Where the durable epoch lives. */
export interface EpochStore {
  /** The stored record, undefined when none was ever written. */
  read(signal?: AbortSignal): Promise<EpochRecord | undefined>;
  /**
   * Writes `epoch` only if the record is still at `expectedVersion`
   * (undefined: only if no record exists), atomically. False when another
   * writer changed it first (nothing written); throws when storage fails.
   */
  replace(epoch: number, expectedVersion: string | undefined, signal?: AbortSignal): Promise<boolean>;
}
