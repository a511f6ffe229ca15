/**
 * Cuts a stream of chunks of any sizes into parts of exactly `partSize` bytes
 * (the last one shorter), holding at most `buffers` parts (default 1): each
 * buffer grows by doubling up to `partSize`, then the buffers are reused in
 * turn, so a consumer may keep sending the previous `buffers - 1` parts while
 * the next one fills.
 */

/** One part cut from the stream. */
export interface SplitPart {
  /** The part's bytes: a view of one of the splitter's buffers, valid until the consumer asks for the `buffers`-th next part. */
  readonly bytes: Uint8Array;
  /** True for the stream's last part (the only one that may be shorter than partSize, or empty when the stream was). */
  readonly last: boolean;
}

/** The first buffer size of a part, before it grows (64 KiB). */
const INITIAL_CAPACITY = 64 * 1024;

/**
 * Yields the parts of `source`. An empty stream yields one empty last part; a
 * stream of exactly k × partSize bytes yields k parts, the k-th marked last.
 * Copies each chunk once into the part buffer, so callers may reuse their chunks.
 */
export async function* splitParts(source: AsyncIterable<Uint8Array>, partSize: number, buffers = 1): AsyncGenerator<SplitPart> {
  if (!Number.isSafeInteger(partSize) || partSize < 1) throw new RangeError(`part size must be a positive integer, got ${partSize}`);
  if (!Number.isSafeInteger(buffers) || buffers < 1) throw new RangeError(`buffers must be a positive integer, got ${buffers}`);
  const ring: Buffer[] = [];
  let slot = 0;
  let buf: Buffer = Buffer.allocUnsafe(Math.min(INITIAL_CAPACITY, partSize));
  ring.push(buf);
  let filled = 0;
  /** A full part waiting to learn whether it is the last one. */
  let pending = false;
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.byteLength) {
      if (pending) {
        // More bytes exist, so the full part held is not the last one.
        yield { bytes: buf.subarray(0, filled), last: false };
        pending = false;
        filled = 0;
        slot = (slot + 1) % buffers;
        if (ring[slot] === undefined) ring.push(Buffer.allocUnsafe(Math.min(INITIAL_CAPACITY, partSize)));
        buf = ring[slot]!;
      }
      if (filled === buf.byteLength && buf.byteLength < partSize) {
        const bigger = Buffer.allocUnsafe(Math.min(partSize, buf.byteLength * 2));
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
        ring[slot] = bigger;
      }
      const n = Math.min(chunk.byteLength - at, buf.byteLength - filled);
      buf.set(chunk.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === partSize) pending = true;
    }
  }
  yield { bytes: buf.subarray(0, filled), last: true };
}
