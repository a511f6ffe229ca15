/**
 * Reads a crash trial's documents through every read path of a server
 * (Get, BatchGet, Exists, List, keys-only List, an indexed Query) and checks
 * that they all tell the same story; returns that story.
 */
import { isDeepStrictEqual } from 'node:util';
import { IndexKind, IndexState } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import type { ServerClients } from './doc-client.js';
import { etagsOf, presenceOf, readViews, type CollectionView } from './doc-views.js';
import { COLLECTION_A, COLLECTION_B, idsOf, type TrialIds, type TrialState } from './txn-crash-trial.js';

/** Creates the equality index on `tag` of both trial collections (idempotent per data set) and waits until both are READY. */
export async function createTagIndexes(c: ServerClients): Promise<void> {
  for (const collection of [COLLECTION_A, COLLECTION_B]) {
    await c.admin.createIndex({ index: { collection, name: 'by_tag', fields: ['tag'], kind: IndexKind.EQUALITY } });
  }
  await waitTagIndexes(c);
}

/** Waits until the `tag` indexes of both trial collections are READY (e.g. rebuilt after a restart). */
export async function waitTagIndexes(c: ServerClients, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const collection of [COLLECTION_A, COLLECTION_B]) {
    for (;;) {
      const { index } = await c.admin.getIndex({ collection, name: 'by_tag' });
      if (index?.state === IndexState.READY) break;
      if (Date.now() > deadline) throw new Error(`index ${collection}.by_tag not READY within ${timeoutMs} ms (state ${index?.state})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** The ids an indexed query `tag = <prefix>` returns (require_index). */
async function queryIds(c: ServerClients, collection: string, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const m of c.query.query({ collection, filterExpression: `tag = ${JSON.stringify(tag)}`, requireIndex: true })) {
    if (m.document) ids.push(m.document.id);
  }
  return ids.sort();
}

/** What each read path said about one collection, when they disagree. */
export class InconsistentReads extends Error {}

/**
 * How strictly the read paths must agree. 'any-time': what must hold at every
 * moment (docs/transactions.md): Get, BatchGet, List and Exists agree, and an
 * indexed Query returns no document Get does not show. 'settled' (no
 * transaction in flight or unrecovered): also a keys-only List lists exactly
 * the existing documents (it may list a pending transaction's placeholder
 * before) and the indexed Query returns all of them (an index may lag a
 * crashed commit until recovery).
 */
export type Agreement = 'any-time' | 'settled';

async function observeCollection(
  c: ServerClients,
  collection: string,
  ids: string[],
  prefix: string,
  agreement: Agreement,
): Promise<CollectionView> {
  const views = await readViews(c.docs, collection, ids, prefix);
  const queried = await queryIds(c, collection, prefix);
  const present = Object.keys(presenceOf(views.get))
    .filter((id) => views.get[id] !== null)
    .sort();
  const problems: string[] = [];
  const same = (what: string, a: unknown, b: unknown): void => {
    if (!isDeepStrictEqual(a, b)) problems.push(`${what}: ${JSON.stringify(a)} vs Get ${JSON.stringify(b)}`);
  };
  same('BatchGet', views.batchGet, views.get);
  same('List', views.list, views.get);
  same('Exists', views.exists, etagsOf(views.get));
  if (agreement === 'settled') {
    same('List keys_only', views.listKeys, presenceOf(views.get));
    same('indexed Query', queried, present);
  } else {
    same(
      'indexed Query (hits Get does not show)',
      queried.filter((id) => !present.includes(id)),
      [],
    );
  }
  if (problems.length > 0) throw new InconsistentReads(`${collection}/${prefix}*: ${problems.join('; ')}`);
  return views.get;
}

/**
 * The trial's documents as `c` serves them; throws InconsistentReads when
 * the read paths disagree (e.g. one shows a document another does not).
 */
export async function observeTrial(c: ServerClients, ids: TrialIds, agreement: Agreement): Promise<TrialState> {
  const { a, b } = idsOf(ids);
  const [va, vb] = await Promise.all([
    observeCollection(c, COLLECTION_A, a, ids.prefix, agreement),
    observeCollection(c, COLLECTION_B, b, ids.prefix, agreement),
  ]);
  return { a: va, b: vb };
}
