/**
 * The operations `smarterbase bench` mixes, on a key space of `keys`
 * documents in one collection that `seed()` writes first:
 * - get: one random document;
 * - put: overwrite one random document;
 * - put-if-match: overwrite one random document with the etag this tester last
 *   saw for it (reading it first, within the operation, when it knows none); a
 *   lost compare-and-swap (another operation wrote it since) is the outcome
 *   'conflict', not an error, and its current etag is kept;
 * - query: up to 10 documents of one random group (an equality index on
 *   `group` makes it an index query; `--no-index` makes it a scan);
 * - commit: a transaction setting two random documents, all or none.
 */
import type { SmarterBaseClient } from '../../client.js';
import type { JsonObject } from '../../document.js';
import { codeName, SmarterBaseError } from '../../errors.js';
import type { Outcome } from './recorder.js';

/** The operation kinds, in the order reports list them. */
export const OP_KINDS = ['get', 'put', 'put-if-match', 'query', 'commit'] as const;
/** One operation kind. */
export type OpKind = (typeof OP_KINDS)[number];

/** Documents are spread over this many groups (the field the query filters on). */
export const GROUPS = 100;

/** The key space and document shape. */
export interface Workload {
  /** The collection the run writes (it should be one of its own). */
  readonly collection: string;
  /** Documents in the key space. */
  readonly keys: number;
  /** Bytes of padding per document (its size is about this plus 60). */
  readonly docBytes: number;
}

/** Runs operations of a workload through one client; every method resolves with an outcome, never rejects. */
export class Operations {
  private readonly etags = new Map<number, string>();
  private readonly pad: string;
  private writes = 0;

  /** `random`: a uniform number in [0, 1) (seedable in specs). */
  constructor(
    private readonly db: SmarterBaseClient,
    private readonly w: Workload,
    private readonly random: () => number = Math.random,
  ) {
    this.pad = 'x'.repeat(w.docBytes);
  }

  /** The id of key `k`. */
  static id(k: number): string {
    return `k${String(k).padStart(8, '0')}`;
  }

  /** The document body of key `k` (group k mod GROUPS; `n` counts this tester's writes). */
  body(k: number): JsonObject {
    return { key: k, group: k % GROUPS, n: ++this.writes, pad: this.pad };
  }

  /** Writes key `k` unconditionally and remembers its etag (seeding). */
  async seedOne(k: number): Promise<void> {
    const d = await this.db.put(this.w.collection, Operations.id(k), this.body(k));
    this.etags.set(k, d.etag);
  }

  /** Runs one operation of `kind` on random keys. */
  async run(kind: OpKind): Promise<Outcome> {
    const k = Math.floor(this.random() * this.w.keys);
    try {
      switch (kind) {
        case 'get':
          this.etags.set(k, (await this.db.get(this.w.collection, Operations.id(k))).etag);
          return 'ok';
        case 'put':
          this.etags.set(k, (await this.db.put(this.w.collection, Operations.id(k), this.body(k))).etag);
          return 'ok';
        case 'put-if-match':
          return await this.putIfMatch(k);
        case 'query':
          return await this.query(k % GROUPS);
        case 'commit':
          return await this.commit(k, Math.floor(this.random() * this.w.keys));
      }
    } catch (e) {
      return outcomeOf(e);
    }
  }

  /**
   * A conditional write of key `k` with the etag last seen for it. When none is known (a commit
   * or a lost compare-and-swap without a current etag forgot it) the document is read first: the
   * read is part of this operation and of its latency, so every put-if-match is a real
   * conditional write and no read is counted as one on its own.
   */
  private async putIfMatch(k: number): Promise<Outcome> {
    const etag = this.etags.get(k) ?? (await this.db.get(this.w.collection, Operations.id(k))).etag;
    try {
      this.etags.set(k, (await this.db.putIfMatch(this.w.collection, Operations.id(k), this.body(k), etag)).etag);
      return 'ok';
    } catch (e) {
      const current = e instanceof SmarterBaseError ? e.metadata['currentEtag'] : undefined;
      if (current !== undefined && current !== '') this.etags.set(k, current);
      else this.etags.delete(k);
      return outcomeOf(e);
    }
  }

  private async query(group: number): Promise<Outcome> {
    for await (const d of this.db.query(this.w.collection, { filterExpression: `group = ${group}`, limit: 10 })) void d;
    return 'ok';
  }

  private async commit(a: number, b: number): Promise<Outcome> {
    const c = this.w.collection;
    await this.db.commit([
      { op: 'set', collection: c, id: Operations.id(a), data: this.body(a) },
      ...(a === b ? [] : [{ op: 'set' as const, collection: c, id: Operations.id(b), data: this.body(b) }]),
    ]);
    this.etags.delete(a);
    this.etags.delete(b);
    return 'ok';
  }
}

/** The outcome of a failed call: 'conflict' for a lost compare-and-swap or transaction, else its code's name (and reason). */
export function outcomeOf(e: unknown): Outcome {
  if (!(e instanceof SmarterBaseError)) return 'INTERNAL client error';
  if (['ETAG_MISMATCH', 'PRECONDITION_FAILED', 'TRANSACTION_CONTENTION'].includes(e.reason)) return 'conflict';
  const name = codeName(e.code);
  return e.reason === '' ? name : `${name} ${e.reason}`;
}
