/**
 * The health probe of a BlobStore: one HEAD of a key that is never written,
 * the cheapest request every adapter answers (a 404 is an answer). Used by
 * common/health-monitor.ts through main.ts.
 */
import type { BlobStore } from './blob-store.js';

/** The key the probe asks for; never written (docs/storage-format.md). */
export const HEALTH_PROBE_KEY = '_meta/health-probe';

/** A probe that resolves when `store` answers a HEAD of HEALTH_PROBE_KEY and rejects with its error otherwise. */
export function storageProbe(store: BlobStore): (signal: AbortSignal) => Promise<void> {
  return async (signal) => {
    await store.head(HEALTH_PROBE_KEY, signal);
  };
}
