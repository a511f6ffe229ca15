/**
 * The commit benchmark's unit of data: one client's 10 documents, the etag
 * each last write returned, and every timed operation on them (Commit, Put,
 * PutIfMatch; sequential or parallel), checking each response.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import type { DocumentService } from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';
import type { LatencyOp } from './commit-report.js';

/** A DocumentService client (connect). */
export type Docs = Client<typeof DocumentService>;

/** The collection the benchmark writes to. */
export const COLLECTION = 'bench-commit';
/** Documents per unit of work (writes in a Commit, Puts in a group). */
export const WRITES = 10;

/** The 10 documents of one client, their current etags, and the operations on them. */
export class DocSet {
  /** The document ids, `<prefix>-00` … `<prefix>-09`. */
  readonly ids: string[];
  private readonly etags = new Map<string, string>();
  private n = 0;

  /** A set of 10 documents `<prefix>-NN` in the bench collection, each written with `body` plus a counter. */
  constructor(
    private readonly docs: Docs,
    prefix: string,
    private readonly body: JsonObject,
  ) {
    this.ids = Array.from({ length: WRITES }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
  }

  private data(): JsonObject {
    return { ...this.body, n: ++this.n };
  }

  private etagOf(id: string): string {
    const e = this.etags.get(id);
    if (!e) throw new Error(`no etag known for ${id}`);
    return e;
  }

  /** Put (upsert) of one document. */
  async put(id: string): Promise<void> {
    const r = await this.docs.put({ collection: COLLECTION, id, data: this.data() });
    this.etags.set(id, r.document?.etag ?? '');
  }

  /** PutIfMatch of one document on its last known etag. */
  async putIfMatch(id: string): Promise<void> {
    const r = await this.docs.putIfMatch({ collection: COLLECTION, id, data: this.data(), etag: this.etagOf(id) });
    this.etags.set(id, r.document?.etag ?? '');
  }

  /**
   * One Commit of a set write per id, with each document's last known etag
   * as precondition when `withEtags`, and a fresh request_id when `withRequestId`.
   */
  async commit(ids: readonly string[], withEtags: boolean, withRequestId = false): Promise<void> {
    const writes = ids.map((id) => ({
      collection: COLLECTION,
      id,
      operation: { case: 'set' as const, value: { data: this.data() } },
      ...(withEtags ? { precondition: { condition: { case: 'etag' as const, value: this.etagOf(id) } } } : {}),
    }));
    const r = await this.docs.commit({ writes, ...(withRequestId ? { requestId: randomUUID() } : {}) });
    if (r.results.length !== ids.length) throw new Error(`Commit returned ${r.results.length} results for ${ids.length} writes`);
    r.results.forEach((res, i) => {
      if (res.id !== ids[i] || !res.etag) throw new Error(`Commit result ${i} is ${res.id}/${res.etag}, expected ${ids[i]} with an etag`);
      this.etags.set(res.id, res.etag);
    });
  }

  /** The unit of work `op` stands for, on this set. */
  op(op: LatencyOp): () => Promise<void> {
    const ids = this.ids;
    switch (op) {
      case 'commit10':
        return () => this.commit(ids, false);
      case 'commit10Etag':
        return () => this.commit(ids, true);
      case 'puts10Seq':
        return async () => {
          for (const id of ids) await this.put(id);
        };
      case 'puts10Par':
        return async () => void (await Promise.all(ids.map((id) => this.put(id))));
      case 'putIfMatch10Seq':
        return async () => {
          for (const id of ids) await this.putIfMatch(id);
        };
      case 'putIfMatch10Par':
        return async () => void (await Promise.all(ids.map((id) => this.putIfMatch(id))));
      case 'commit1':
        return () => this.commit([ids[0]], false);
      case 'put1':
        return () => this.put(ids[0]);
      case 'commit10Rid':
        return () => this.commit(ids, false, true);
      case 'commit1Rid':
        return () => this.commit([ids[0]], false, true);
    }
  }

  /** Reads every document back: each must exist with the etag its last write returned. */
  async verify(): Promise<void> {
    for (const id of this.ids) {
      const r = await this.docs.get({ collection: COLLECTION, id });
      if (r.document?.etag !== this.etagOf(id)) {
        throw new Error(`${id}: read back etag ${r.document?.etag}, last write returned ${this.etags.get(id)}`);
      }
    }
  }

  /** Creates the documents (and learns their etags). */
  seed(): Promise<void> {
    return this.op('puts10Par')();
  }
}
