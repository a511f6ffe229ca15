/**
 * The mutex of a sweep round (docs/adr/0013 §8): every server ticks, and the
 * round runs only on the one that takes the coordinator mutex at once; the
 * others skip it (undefined). Two rounds at once would only repeat work
 * (every step of every sweep is idempotent), so the mutex saves requests,
 * it does not guard correctness: a round longer than its TTL may overlap the next.
 */
import type { Coordinator } from '../../coordination/coordinator.js';
import { isDbError } from '../../errors/db-error.js';

/** The mutexes of the object sweeps. */
export const SWEEP_MUTEXES = { uploads: 'sweep:uploads', trash: 'sweep:objtrash', orphans: 'sweep:objorphans' } as const;

/** How long a round holds its mutex at most, in ms. */
export const SWEEP_MUTEX_TTL_MS = 10 * 60 * 1000;

/** Runs `round` under the mutex `name` if it is free now; undefined when another server holds it. */
export async function exclusiveRound<T>(
  coordinator: Coordinator,
  name: string,
  round: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T | undefined> {
  let handle;
  try {
    handle = await coordinator.acquireMutex(name, { ttlMs: SWEEP_MUTEX_TTL_MS, waitMs: 0, signal });
  } catch (e) {
    if (isDbError(e, 'CONCURRENT_MODIFICATION')) return undefined;
    throw e;
  }
  try {
    return await round();
  } finally {
    await handle.release();
  }
}
