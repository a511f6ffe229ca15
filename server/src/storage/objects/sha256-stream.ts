/** SHA-256 of a stream, computed as the bytes pass through. */
import { createHash, type Hash } from 'node:crypto';

/** A pass-through that hashes and counts what flows through it. */
export class Sha256Tap {
  private readonly hash: Hash = createHash('sha256');
  private total = 0;
  private digest: string | undefined;

  /** Bytes seen so far. */
  get size(): number {
    return this.total;
  }

  /** Adds bytes to the hash (not after hex() was read). */
  update(bytes: Uint8Array): void {
    if (this.digest !== undefined) throw new Error('Sha256Tap: update after the digest was taken');
    this.hash.update(bytes);
    this.total += bytes.byteLength;
  }

  /** Yields `source`'s chunks unchanged, hashing each on the way. */
  async *tap(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      this.update(chunk);
      yield chunk;
    }
  }

  /** Lowercase hex SHA-256 of everything seen; ends the hashing (idempotent). */
  hex(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }
}

/** Lowercase hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True for a 64-digit lowercase hex string (the form the port uses for SHA-256). */
export function isSha256Hex(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}
