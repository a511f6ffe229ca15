/** The page-size rule every BlobStore adapter applies to ListOptions.limit. */
import { DbError } from '../errors/db-error.js';

/** The largest page a list call may ask for (S3's MaxKeys ceiling). */
export const MAX_LIST_LIMIT = 1000;

/** Throws DbError('invalid', 'INVALID_ARGUMENT', field 'limit') unless 1 <= limit <= 1000 and an integer. */
export function validateListLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new DbError('invalid', 'INVALID_ARGUMENT', `list limit must be 1..${MAX_LIST_LIMIT}, got ${limit}`, {
      field: 'limit',
      metadata: { field: 'limit' },
    });
  }
}
