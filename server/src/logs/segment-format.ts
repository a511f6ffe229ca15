/**
 * The segment object of a log (docs/adr/0013 §12): the chunks it rolled up,
 * in order, each as its chunk encoding (header line with `count`, then its
 * lines), concatenated. So a segment is JSON lines readable with any tool,
 * keeps each batch's append time, and keeps the request ids of the chunks
 * still within the request-id window (the index rebuild reads them, §10).
 * Decoding walks headers by their `count`, so a log line that looks like a
 * header is never mistaken for one.
 */
import { decodeChunk, encodeChunk, type Chunk } from './chunk-format.js';

/** The bytes of a segment of `chunks` (in order); request ids of chunks written before `keepRidsSinceMs` are dropped. */
export function encodeSegment(chunks: readonly Chunk[], keepRidsSinceMs: number): Uint8Array {
  return Buffer.concat(chunks.map((c) => encodeChunk(c.timeMs >= keepRidsSinceMs ? c : { ...c, rids: new Map() })));
}

/** Decodes a segment read from `key` into its chunks; throws DbError internal when it is not one. */
export function decodeSegment(key: string, bytes: Uint8Array): Chunk[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  let at = 0;
  while (at < buf.length) {
    const headerEnd = buf.indexOf(0x0a, at);
    const end = headerEnd < 0 ? buf.length : headerEnd;
    const count = headerCount(buf.subarray(at, end).toString('utf8'));
    // The chunk spans its header and `count` lines, each ending in LF.
    let stop = end;
    for (let i = 0; i < count && stop < buf.length; i++) {
      const lf = buf.indexOf(0x0a, stop + 1);
      stop = lf < 0 ? buf.length : lf;
    }
    chunks.push(decodeChunk(key, buf.subarray(at, Math.min(stop + 1, buf.length))));
    at = stop + 1;
  }
  return chunks;
}

function headerCount(line: string): number {
  try {
    const n = (JSON.parse(line) as { smarterbase?: { count?: unknown } }).smarterbase?.count;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0; // decodeChunk then reports the unreadable header
  }
}
