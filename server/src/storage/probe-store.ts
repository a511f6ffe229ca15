/**
 * The health probe of a BlobStore: one HEAD of a key that is never written,
 * the cheapest request every adapter answers (a 404 is an answer). Used by
 * common/health-monitor.ts through main.ts.
 */
import type { BlobStore } from './blob-store.js';
import { HEALTH_PROBE_KEY } from '../format/bucket-layout.js';

/** A probe that resolves when `store` answers a HEAD of HEALTH_PROBE_KEY and rejects with its error otherwise. */
export function storageProbe(store: BlobStore): (signal: AbortSignal) => Promise<void> {
  return async (signal) => {
    await store.head(HEALTH_PROBE_KEY, signal);
  };
}
