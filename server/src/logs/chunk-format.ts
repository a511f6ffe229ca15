/**
 * The chunk object of a log (docs/adr/0013 §9): JSON lines readable with any
 * tool. A header line
 *   {"smarterbase":{"schemaVersion":1,"log":"…","first":101,"count":3,"timeMs":…,"rids":{"<rid>":[101,2,"<sha256>"]}}}
 * then one line per log line, byte for byte as appended, each ending in LF.
 * The request ids of the batch live in its header: the durable record that
 * makes retried appends idempotent (§10).
 */
import { createHash } from 'node:crypto';
import { DbError } from '../errors/db-error.js';

/** One request id's lines in a chunk: their first sequence, how many, and the SHA-256 of those lines. */
export interface RidRecord {
  readonly first: number;
  readonly count: number;
  readonly sha: string;
}

/** A decoded chunk. */
export interface Chunk {
  readonly log: string;
  /** The sequence of lines[0]. */
  readonly first: number;
  /** When the batch was written, by the writer's clock (ms since the epoch). */
  readonly timeMs: number;
  /** Request id → its lines in this chunk. */
  readonly rids: ReadonlyMap<string, RidRecord>;
  /** The lines, byte for byte as appended. */
  readonly lines: readonly string[];
}

/** The SHA-256 (hex) of a request's lines: what tells a retry from a reuse of its id with other lines. */
export function linesSha(lines: readonly string[]): string {
  const h = createHash('sha256');
  for (const line of lines) h.update(line, 'utf8').update('\n');
  return h.digest('hex');
}

/** The bytes of a chunk. */
export function encodeChunk(chunk: Chunk): Uint8Array {
  const rids: Record<string, [number, number, string]> = {};
  for (const [id, r] of chunk.rids) rids[id] = [r.first, r.count, r.sha];
  const header = {
    smarterbase: { schemaVersion: 1, log: chunk.log, first: chunk.first, count: chunk.lines.length, timeMs: chunk.timeMs, rids },
  };
  return Buffer.from(`${JSON.stringify(header)}\n${chunk.lines.map((l) => `${l}\n`).join('')}`, 'utf8');
}

function corrupt(key: string, why: string): DbError {
  return new DbError('internal', 'INTERNAL_ERROR', `log chunk ${key} is corrupt: ${why}`, { metadata: { key } });
}

/** Decodes a chunk read from `key`; throws DbError internal when it is not one. */
export function decodeChunk(key: string, bytes: Uint8Array): Chunk {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (!text.endsWith('\n')) throw corrupt(key, 'no final line break');
  const parts = text.slice(0, -1).split('\n');
  let header: unknown;
  try {
    header = (JSON.parse(parts[0]!) as { smarterbase?: unknown }).smarterbase;
  } catch {
    throw corrupt(key, 'unreadable header');
  }
  const h = header as { schemaVersion?: unknown; log?: unknown; first?: unknown; count?: unknown; timeMs?: unknown; rids?: unknown };
  if (typeof h !== 'object' || h === null || h.schemaVersion !== 1) throw corrupt(key, 'not a schemaVersion 1 header');
  const { log, first, count, timeMs } = h;
  if (typeof log !== 'string' || !Number.isSafeInteger(first) || !Number.isSafeInteger(count) || typeof timeMs !== 'number') {
    throw corrupt(key, 'header fields missing');
  }
  const lines = parts.slice(1);
  if (lines.length !== count) throw corrupt(key, `header says ${String(count)} lines, found ${lines.length}`);
  const rids = new Map<string, RidRecord>();
  for (const [id, v] of Object.entries((h.rids ?? {}) as Record<string, unknown>)) {
    if (!Array.isArray(v) || v.length !== 3) throw corrupt(key, `request id ${id} malformed`);
    rids.set(id, { first: Number(v[0]), count: Number(v[1]), sha: String(v[2]) });
  }
  return { log, first: first as number, timeMs, rids, lines };
}
