/**
 * Byte ranges of object reads: resolving a requested range against an
 * object's size, and the HTTP forms S3 speaks (Range, Content-Range).
 */
import { DbError } from '../../errors/db-error.js';
import type { ByteRange } from './object-store.js';

/** A resolved range: bytes [start, start + length) of an object. */
export interface ResolvedRange {
  /** First byte. */
  readonly start: number;
  /** Bytes to read (0 for an empty object or an empty range). */
  readonly length: number;
}

/**
 * The bytes `range` selects of an object of `size` bytes: the whole body when
 * unset; a length running past the end is cut at the end. Throws 'invalid' for
 * a negative or fractional offset or length, 'out_of_range' for an offset past
 * the end (an offset equal to the size reads nothing).
 */
export function resolveRange(range: ByteRange | undefined, size: number): ResolvedRange {
  if (range === undefined) return { start: 0, length: size };
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || offset < 0) throw badRange(`range offset must be a non-negative integer, got ${offset}`);
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
    throw badRange(`range length must be a non-negative integer, got ${length}`);
  }
  if (offset > size) {
    throw new DbError('out_of_range', 'INVALID_ARGUMENT', `range offset ${offset} is past the end (${size} bytes)`, {
      field: 'range',
      metadata: { field: 'range', size: String(size) },
    });
  }
  const available = size - offset;
  return { start: offset, length: length === undefined ? available : Math.min(length, available) };
}

/** The HTTP Range header of a resolved, non-empty range: 'bytes=start-end' (end inclusive). */
export function rangeHeader(range: ResolvedRange): string {
  if (range.length <= 0) throw new Error('an empty range has no Range header');
  return `bytes=${range.start}-${range.start + range.length - 1}`;
}

/** The HTTP Range header of a requested range, before the size is known: 'bytes=offset-' or 'bytes=offset-last' (length ≥ 1). */
export function openRangeHeader(range: ByteRange): string {
  return range.length === undefined ? `bytes=${range.offset}-` : rangeHeader({ start: range.offset, length: range.length });
}

/** The total size in a Content-Range header ('bytes 0-9/100' → 100), or undefined when absent or unknown ('*'). */
export function sizeFromContentRange(header: string | undefined): number | undefined {
  const m = header === undefined ? null : /^bytes (?:\d+-\d+|\*)\/(\d+)$/.exec(header.trim());
  return m === null ? undefined : Number(m[1]);
}

function badRange(message: string): DbError {
  return new DbError('invalid', 'INVALID_ARGUMENT', message, { field: 'range', metadata: { field: 'range' } });
}
