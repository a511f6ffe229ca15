/**
 * A mixed write workload for change-feed tests: concurrent writers doing
 * Put, PutIfMatch (some with stale etags), Create (some on taken ids),
 * Delete, BatchWrite and Commit of 2–4 documents over a small id pool, each
 * put carrying a unique `tag`, so a watcher's history can be checked
 * against what was acknowledged and what was refused.
 */
import { randomUUID } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import type { DocClient } from './doc-client.js';
import { deleteWrite, setWrite } from './txn-writes.js';

/** What the writers did. */
export interface WorkloadResult {
  /** Tags of puts whose call succeeded. */
  readonly acked: Set<string>;
  /** Tags of puts refused before anything was written (stale etag, taken id, aborted commit). */
  readonly refused: Set<string>;
  /** Tags whose call failed otherwise (outcome unknown). */
  readonly unknown: Set<string>;
  /** Single deletes that answered deleted = true. */
  deletes: number;
  /** Acknowledged commits: their transaction id and the ids they set. */
  readonly commits: { txid: string; setIds: string[]; ids: string[] }[];
}

/** Options of runWorkload. */
export interface WorkloadOptions {
  readonly collection: string;
  readonly writers: number;
  readonly opsPerWriter: number;
  /** Size of the id pool (smaller: more conflicts). */
  readonly ids: number;
  /** The client of writer `i` (several servers: spread them). */
  readonly client: (writer: number) => DocClient;
}

/** Runs the workload; resolves when every writer is done. */
export async function runWorkload(o: WorkloadOptions): Promise<WorkloadResult> {
  const r: WorkloadResult = { acked: new Set(), refused: new Set(), unknown: new Set(), deletes: 0, commits: [] };
  let seq = 0;
  const run = randomUUID().slice(0, 8); // tags stay unique across runs on one collection
  const tag = (w: number): string => `${run}-w${w}-${seq++}`;
  const pick = (): string => `d${Math.floor(Math.random() * o.ids)}`;
  const c = o.collection;
  const outcome = (tags: string[], e: unknown): void => {
    const code = ConnectError.from(e).code;
    const refused = code === Code.Aborted || code === Code.AlreadyExists || code === Code.NotFound || code === Code.FailedPrecondition;
    for (const t of tags) (refused ? r.refused : r.unknown).add(t);
  };
  const one = async (w: number, docs: DocClient): Promise<void> => {
    const roll = Math.random();
    const id = pick();
    if (roll < 0.3) {
      const t = tag(w);
      await docs.put({ collection: c, id, data: { tag: t } }).then(
        () => r.acked.add(t),
        (e) => outcome([t], e),
      );
    } else if (roll < 0.5) {
      const cur = await docs.get({ collection: c, id }).catch(() => undefined);
      if (cur?.document === undefined) return;
      const t = tag(w);
      const etag = Math.random() < 0.2 ? 'stale-etag' : cur.document.etag;
      await docs.putIfMatch({ collection: c, id, etag, data: { tag: t } }).then(
        () => r.acked.add(t),
        (e) => outcome([t], e),
      );
    } else if (roll < 0.6) {
      const t = tag(w);
      await docs.create({ collection: c, id, data: { tag: t } }).then(
        () => r.acked.add(t),
        (e) => outcome([t], e),
      );
    } else if (roll < 0.75) {
      await docs.delete({ collection: c, id }).then(
        (res) => {
          if (res.deleted) r.deletes++;
        },
        () => undefined,
      );
    } else if (roll < 0.85) {
      const ids = [...new Set([pick(), pick(), pick()])];
      const tags = ids.map(() => tag(w));
      const items = ids.map((d, i) => ({ operation: { case: 'put' as const, value: { id: d, data: { tag: tags[i]! } } } }));
      const res = await docs.batchWrite({ collection: c, writes: items }).catch((e: unknown) => (outcome(tags, e), undefined));
      res?.results.forEach((x, i) =>
        (x.status?.code ?? 0) === 0 ? r.acked.add(tags[i]!) : outcome([tags[i]!], new ConnectError('', x.status!.code)),
      );
    } else {
      const n = 2 + Math.floor(Math.random() * 3);
      const ids = [...new Set(Array.from({ length: n }, pick))];
      if (ids.length < 2) return;
      const ops = ids.map((d) => (Math.random() < 0.3 ? { d, t: undefined } : { d, t: tag(w) }));
      const writes = ops.map(({ d, t }) => (t === undefined ? deleteWrite(c, d) : setWrite(c, d, { tag: t })));
      const tags = ops.flatMap((x) => (x.t === undefined ? [] : [x.t]));
      await docs.commit({ writes }).then(
        (res) => {
          tags.forEach((t) => r.acked.add(t));
          r.commits.push({ txid: res.transactionId, setIds: ops.filter((x) => x.t !== undefined).map((x) => x.d), ids });
        },
        (e) => outcome(tags, e),
      );
    }
  };
  await Promise.all(
    Array.from({ length: o.writers }, async (_, w) => {
      const docs = o.client(w);
      for (let i = 0; i < o.opsPerWriter; i++) await one(w, docs);
    }),
  );
  return r;
}
