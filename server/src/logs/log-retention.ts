/** A log's retention (docs/streams.md, "Retention"), as the collections file or the settings declare it. */

/** Segments older than retainMs, or past retainBytes in total, are deleted from the head. */
export interface LogRetention {
  readonly retainMs?: number;
  readonly retainBytes?: number;
}
