/**
 * The records of the change feed's journal (streams/local/feed-journal.ts):
 * one JSON object per line of a collection's segment files.
 *   allocation  {"a":rev,"id":…,"op":"put"|"delete"|"expire","p":prev,"t":ms[,"x":txid]}
 *   resolution  {"r":[revs…],"e":event|null}   (null: holes)
 *   floor       {"f":oldest,"c":current}         (written before a segment is deleted,
 *               so the history dropped with it and the counter survive a restart)
 */
import type { FeedEvent, PendingRef } from '../change-feed.js';

/** A revision allocated for a write of `id`. */
export interface AllocationRecord {
  readonly a: number;
  readonly id: string;
  readonly op: PendingRef['op'];
  readonly p: number;
  /** Allocation time, ms since the epoch. */
  readonly t: number;
  /** The transaction of the write, if any. */
  readonly x?: string;
}

/** Revisions settled together: as one event, or as holes (e null). */
export interface ResolutionRecord {
  readonly r: readonly number[];
  readonly e: FeedEvent | null;
}

/** The collection's oldest resumable revision and counter when a segment was deleted. */
export interface FloorRecord {
  readonly f: number;
  readonly c: number;
}

/** Any line of a segment file. */
export type JournalRecord = AllocationRecord | ResolutionRecord | FloorRecord;

/** True for an allocation record. */
export function isAllocation(rec: JournalRecord): rec is AllocationRecord {
  return 'a' in rec;
}

/** True for a resolution record. */
export function isResolution(rec: JournalRecord): rec is ResolutionRecord {
  return 'r' in rec;
}

/** One line (newline included) holding `rec`. */
export function encodeRecord(rec: JournalRecord): string {
  return `${JSON.stringify(rec)}\n`;
}

/** The revision a record is about: an allocation's, a resolution's smallest, a floor's. */
export function revisionOf(rec: JournalRecord): number {
  if (isAllocation(rec)) return rec.a;
  if (isResolution(rec)) return Math.min(...rec.r);
  return rec.f;
}

const isRevision = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The record of one line; throws (with the reason) when it is not valid JSON or not a record. */
export function parseRecord(line: string): JournalRecord {
  const v: unknown = JSON.parse(line);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
  const o = v as Record<string, unknown>;
  if ('a' in o) {
    if (
      !isRevision(o.a) ||
      typeof o.id !== 'string' ||
      (o.op !== 'put' && o.op !== 'delete' && o.op !== 'expire') ||
      !isRevision(o.p) ||
      typeof o.t !== 'number'
    )
      throw new Error('malformed allocation record');
    if (o.x !== undefined && typeof o.x !== 'string') throw new Error('malformed allocation record');
    return { a: o.a, id: o.id, op: o.op, p: o.p, t: o.t, ...(o.x === undefined ? {} : { x: o.x }) };
  }
  if ('r' in o) {
    if (!Array.isArray(o.r) || o.r.length === 0 || !o.r.every(isRevision)) throw new Error('malformed resolution record');
    if (o.e !== null && !isEvent(o.e)) throw new Error('malformed event in resolution record');
    return { r: o.r as number[], e: o.e as FeedEvent | null };
  }
  if ('f' in o) {
    if (!isRevision(o.f) || !isRevision(o.c)) throw new Error('malformed floor record');
    return { f: o.f, c: o.c };
  }
  throw new Error('unknown record');
}

function isEvent(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const o = e as Record<string, unknown>;
  return isRevision(o.revision) && typeof o.commitTimeMs === 'number' && Array.isArray(o.changes);
}
