/**
 * What LockedConditionsStore leaves beside a key's mutex (MutexHandle.memo)
 * for the key's next writer: the object's state as the last holder left it
 * (docs/adr/0010-etag-beside-the-write-lock.md). Only a holder that knows the
 * state after its own work writes one; the next grant takes it away, so a
 * holder that dies or whose write's outcome is unknown leaves none.
 */

/** A key's state as a lock holder knows it: present with an etag, or absent. */
export type KnownState = { readonly exists: true; readonly etag: string } | { readonly exists: false };

/** The memo of a present object: `e:` + its etag. */
const PRESENT = 'e:';
/** The memo of a key known to hold no object. */
const ABSENT = 'absent';

/** The memo that records `state`. */
export function encodeMemo(state: KnownState): string {
  return state.exists ? PRESENT + state.etag : ABSENT;
}

/** The state a memo records; undefined for no memo or one this version does not read (the holder then asks the store). */
export function decodeMemo(memo: string | undefined): KnownState | undefined {
  if (memo === ABSENT) return { exists: false };
  if (memo !== undefined && memo.startsWith(PRESENT) && memo.length > PRESENT.length) {
    return { exists: true, etag: memo.slice(PRESENT.length) };
  }
  return undefined;
}
