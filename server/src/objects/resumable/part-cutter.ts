/**
 * Cuts the bytes of one write into the session's parts (ADR 0013 §3), purely:
 * no I/O, the caller uploads what it returns. A write starts at `writeOffset`
 * ≤ the committed size: bytes below the committed size are skipped (a client
 * resending what was already committed loses nothing), an offset above it is
 * UPLOAD_OFFSET_MISMATCH. The previous write's tail (the partial part after
 * the last recorded part) is carried in front, so every part emitted is whole
 * and starts at a multiple of the part size; what is left at the end is the
 * new tail. It buffers at most one part.
 */
import { DbError } from '../../errors/db-error.js';
import { objectTooLarge, offsetMismatch } from './upload-errors.js';

/** Where a write starts and what the session already holds. */
export interface PartCutterOptions {
  /** For error metadata. */
  readonly uploadId: string;
  /** P (bytes per part). */
  readonly partSize: number;
  /** The offset where the recorded parts end (a multiple of P). */
  readonly partsEnd: number;
  /** The committed tail, bytes [partsEnd, partsEnd + carry.length); shorter than P. */
  readonly carry?: Uint8Array;
  /** Where the client says its bytes start. */
  readonly writeOffset: number;
  /** The largest object allowed (OBJECT_TOO_LARGE past it); default unlimited. */
  readonly maxBytes?: number;
}

/** Throws 'invalid' for a negative or fractional offset, UPLOAD_OFFSET_MISMATCH for one above `committed`. */
export function checkWriteOffset(uploadId: string, writeOffset: number, committed: number): void {
  if (!Number.isSafeInteger(writeOffset) || writeOffset < 0)
    throw new DbError('invalid', 'INVALID_ARGUMENT', 'write_offset must be a non-negative integer', {
      field: 'write_offset',
      metadata: { field: 'write_offset' },
    });
  if (writeOffset > committed) throw offsetMismatch(uploadId, writeOffset, committed);
}

/** What one pushed chunk yields. */
export interface CutResult {
  /** Whole parts completed by this chunk, in order (each exactly P bytes; the caller owns them). */
  readonly parts: Uint8Array[];
  /** The chunk's bytes above what was committed before (the new bytes, for the running hash). */
  readonly accepted: Uint8Array;
}

/** The cutter of one write. */
export class PartCutter {
  private readonly partSize: number;
  private readonly maxBytes: number;
  private buffer: Buffer | undefined;
  private filled = 0;
  /** The stream offset of the next byte the client sends. */
  private position: number;
  /** The end of the bytes held (emitted parts + buffer): only bytes at it are new. */
  private held: number;
  private readonly startHeld: number;

  /** Throws UPLOAD_OFFSET_MISMATCH when `writeOffset` is above the committed size, 'invalid' when negative. */
  constructor(options: PartCutterOptions) {
    const carry = options.carry ?? new Uint8Array(0);
    this.partSize = options.partSize;
    this.maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    if (carry.byteLength >= this.partSize || options.partsEnd % this.partSize !== 0)
      throw new DbError(
        'internal',
        'INTERNAL_ERROR',
        `upload ${options.uploadId}: tail of ${carry.byteLength} bytes at ${options.partsEnd}`,
      );
    const committed = options.partsEnd + carry.byteLength;
    checkWriteOffset(options.uploadId, options.writeOffset, committed);
    this.position = options.writeOffset;
    this.held = committed;
    this.startHeld = committed;
    if (carry.byteLength > 0) this.append(carry);
  }

  /** Bytes accepted beyond the committed size so far. */
  get acceptedBytes(): number {
    return this.held - this.startHeld;
  }

  /** The end of everything held: the committed size once the remainder is spilled. */
  get end(): number {
    return this.held;
  }

  /** Takes the next chunk of the client's stream. */
  push(chunk: Uint8Array): CutResult {
    const start = this.position;
    this.position += chunk.byteLength;
    if (this.position <= this.held) return { parts: [], accepted: chunk.subarray(0, 0) };
    const accepted = chunk.subarray(this.held - start);
    if (this.held + accepted.byteLength > this.maxBytes) throw objectTooLarge(this.held + accepted.byteLength, this.maxBytes);
    this.held += accepted.byteLength;
    return { parts: this.append(accepted), accepted };
  }

  /** The bytes of the unfinished part (from its start at a part boundary): the tail to spill or the last part. */
  remainder(): Uint8Array {
    return this.buffer === undefined ? new Uint8Array(0) : this.buffer.subarray(0, this.filled);
  }

  private append(bytes: Uint8Array): Uint8Array[] {
    const parts: Uint8Array[] = [];
    let at = 0;
    while (at < bytes.byteLength) {
      this.buffer ??= Buffer.allocUnsafe(this.partSize);
      const n = Math.min(this.partSize - this.filled, bytes.byteLength - at);
      this.buffer.set(bytes.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === this.partSize) {
        parts.push(this.buffer);
        this.buffer = undefined;
        this.filled = 0;
      }
    }
    return parts;
  }
}
