/**
 * read_revision of read responses (docs/streams.md): the collection's
 * watermark taken before the read starts, so every change up to it is in
 * what the read sees. A server without a change feed answers 0 ("unknown").
 */
import type { StreamApi } from '../../api/stream-api.js';

/** Where read revisions come from: the StreamApi. */
export type ReadRevisions = Pick<StreamApi, 'readRevision'>;

/**
 * The read_revision of a collection now, as the proto int64; 0n without a
 * feed or for a name the read itself will refuse.
 */
export function readRevisionOf(revisions: ReadRevisions | undefined): (collection: string) => bigint {
  if (revisions === undefined) return () => 0n;
  return (collection) => {
    try {
      return BigInt(revisions.readRevision(collection));
    } catch {
      return 0n; // an invalid name: the read fails with the right error
    }
  };
}
