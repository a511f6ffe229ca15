/**
 * The Redis key layout of the change feed (docs/adr/0012 §5) and the text
 * formats its scripts store. Every key of collection C lies under the index
 * store's hash tag `<prefix>{ix:C}:` (redis-index-layout.ts), so one script
 * touches the counter the index shares and every feed key in one Cluster slot:
 *
 *   seq  the revision counter (the index's nextSeq counter)
 *   fp   zset of pending revisions: score rev, member JSON {r,id,op,p,x?,t}
 *   fq   zset of resolved, unreleased revisions (score = member = rev)
 *   fb   hash rev → event JSON (the bodies of fq)
 *   fm   hash: born (the generation, Redis TIME µs), w (the watermark)
 *   fs   stream of released events: id `<rev>-0`, fields e (event JSON), w
 *
 * plus the registry set `<prefix>feed:collections` (its own slot).
 */
import type { FeedEvent, PendingRef, PendingRevision } from '../change-feed.js';
import { collectionBase } from '../../index/redis/redis-index-layout.js';

/** The keys of one collection's feed. */
export interface FeedKeys {
  readonly seq: string;
  readonly fp: string;
  readonly fq: string;
  readonly fb: string;
  readonly fm: string;
  readonly fs: string;
}

/** The feed keys of `collection` under `prefix` (default 'sb:'). */
export function feedKeys(prefix: string, collection: string): FeedKeys {
  const base = collectionBase(prefix, collection);
  return { seq: `${base}seq`, fp: `${base}fp`, fq: `${base}fq`, fb: `${base}fb`, fm: `${base}fm`, fs: `${base}fs` };
}

/** The registry of every collection the feed was written in (sweepers list pending revisions from it). */
export function registryKey(prefix: string): string {
  return `${prefix}feed:collections`;
}

/**
 * The part of a pending member the client writes: `"id":…,"op":…,"p":…[,"x":…]`.
 * The allocate script wraps it as `{"r":<rev>,<this>,"t":<ms>}`.
 */
export function pendingFragment(ref: PendingRef): string {
  const body = JSON.stringify({ id: ref.id, op: ref.op, p: ref.prevRevision, ...(ref.txid === undefined ? {} : { x: ref.txid }) });
  return body.slice(1, -1);
}

/** A pending member back as a PendingRevision. */
export function decodePending(collection: string, member: string): PendingRevision {
  const m = JSON.parse(member) as { r: number; id: string; op: 'put' | 'delete'; p: number; x?: string; t: number };
  const ref: PendingRef = { id: m.id, op: m.op, prevRevision: m.p, ...(m.x === undefined ? {} : { txid: m.x }) };
  return { collection, revision: m.r, ref, allocatedAtMs: m.t };
}

/**
 * The resolve script's event arguments: the header fields after `revision`
 * (`"commitTimeMs":…[,"txid":…]`), then each change's revision and JSON, so
 * the script can drop the changes of revisions resolved by someone else and
 * rebuild the event without decoding JSON (Lua's cjson rounds 16-digit numbers).
 */
export function eventArgs(event: FeedEvent): string[] {
  const header = JSON.stringify({ commitTimeMs: event.commitTimeMs, ...(event.txid === undefined ? {} : { txid: event.txid }) });
  const out = [header.slice(1, -1)];
  for (const c of event.changes) out.push(String(c.revision), JSON.stringify(c));
  return out;
}

/** The revision of a stream entry id `<rev>-<n>` (0 for '0-0'). */
export function entryRevision(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** The stream entry id of a revision. */
export function entryId(revision: number): string {
  return `${revision}-0`;
}

/** A released stream entry decoded: the event and the watermark stored with it. */
export interface ReleasedEntry {
  readonly event: FeedEvent;
  /** Every revision ≤ w was released (up to this entry) or is a hole. */
  readonly w: number;
  /** The generation (fm.born, µs) that released it; absent in entries written before it was recorded. */
  readonly born?: number;
}

/** Decodes the fields of a stream entry ([e, json, w, n, g, born] in any order). */
export function decodeEntry(fields: readonly string[]): ReleasedEntry {
  let json = '';
  let w = 0;
  let born = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') json = fields[i + 1]!;
    else if (fields[i] === 'w') w = Number(fields[i + 1]);
    else if (fields[i] === 'g') born = Number(fields[i + 1]);
  }
  const event = JSON.parse(json) as FeedEvent;
  return { event, w: w || event.revision, ...(born > 0 ? { born } : {}) };
}
