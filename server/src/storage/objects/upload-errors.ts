/**
 * The DbErrors every ObjectStore adapter throws for bad uploads, in one place
 * so that the adapters agree (the conformance suite checks kinds and fields).
 */
import { DbError } from '../../errors/db-error.js';
import { MAX_PART_NUMBER, MIN_PART_SIZE, type UploadedPart } from './object-store.js';

/** 'not_found': the upload id is unknown (never started, completed, or aborted). */
export function uploadNotFound(key: string, uploadId: string, cause?: unknown): DbError {
  return new DbError('not_found', 'INVALID_ARGUMENT', `no open upload ${uploadId} of ${key}`, {
    cause,
    field: 'upload_id',
    metadata: { field: 'upload_id', uploadId },
  });
}

/** 'invalid': the body's SHA-256 is not the one the caller expected; nothing was published. */
export function checksumMismatch(key: string, expected: string, actual: string): DbError {
  return new DbError('invalid', 'INVALID_ARGUMENT', `the body of ${key} has SHA-256 ${actual}, expected ${expected}`, {
    field: 'sha256',
    metadata: { field: 'sha256', expected, actual },
  });
}

/** Throws 'invalid' unless `n` is an integer part number 1..MAX_PART_NUMBER. */
export function checkPartNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PART_NUMBER) {
    throw new DbError('invalid', 'INVALID_ARGUMENT', `part number must be 1..${MAX_PART_NUMBER}, got ${n}`, {
      field: 'part_number',
      metadata: { field: 'part_number' },
    });
  }
}

/**
 * Throws 'invalid' when a completion names parts out of ascending order, no
 * part at all, or a part (not the last) under MIN_PART_SIZE. `sizes` are the
 * named parts' sizes, in the order named.
 */
export function checkCompletedParts(partNumbers: readonly number[], sizes: readonly number[], minPartSize = MIN_PART_SIZE): void {
  if (partNumbers.length === 0) throw badParts('a completion needs at least one part');
  for (let i = 1; i < partNumbers.length; i++) {
    if ((partNumbers[i] as number) <= (partNumbers[i - 1] as number)) throw badParts('parts must be named in ascending order');
  }
  for (let i = 0; i < sizes.length - 1; i++) {
    if ((sizes[i] as number) < minPartSize)
      throw badParts(`part ${partNumbers[i]} has ${sizes[i]} bytes, under the ${minPartSize}-byte minimum`);
  }
}

/** 'invalid': a completion named a part that was not uploaded, or with another etag. */
export function unknownPart(partNumber: number): DbError {
  return badParts(`part ${partNumber} was not uploaded with that etag`);
}

function badParts(message: string): DbError {
  return new DbError('invalid', 'INVALID_ARGUMENT', message, { field: 'parts', metadata: { field: 'parts' } });
}

/**
 * The stored parts a completion names, in the order named, after the checks every adapter
 * applies: each named part exists with that etag (compared after `normalize`), then
 * checkCompletedParts. Throws 'invalid' otherwise.
 */
export function namedParts<P extends UploadedPart>(
  stored: ReadonlyMap<number, P>,
  named: readonly Pick<UploadedPart, 'partNumber' | 'etag'>[],
  normalize: (etag: string) => string = (etag) => etag,
): P[] {
  const chosen = named.map((p) => {
    const s = stored.get(p.partNumber);
    if (s === undefined || s.etag !== normalize(p.etag)) throw unknownPart(p.partNumber);
    return s;
  });
  checkCompletedParts(
    chosen.map((p) => p.partNumber),
    chosen.map((p) => p.size),
  );
  return chosen;
}
