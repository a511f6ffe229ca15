/**
 * One crash trial of the transaction protocol (test/integration/txn-crash.test.ts):
 * a known prior state of documents in two collections, a Commit of several
 * writes (sets of existing and new documents, a delete, a check) sent to a
 * server armed with one failpoint that SIGKILLs it, and what readers must
 * see afterwards: the prior state (crash before the commit point) or the
 * transaction's result (at or after it).
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { isDeepStrictEqual } from 'node:util';
import type { ServerClients } from './doc-client.js';
import type { CollectionView, DocView } from './doc-views.js';
import type { TxnDebris } from './txn-debris.js';
import { checkWrite, deleteWrite, setWrite, type TxnWriteInit } from './txn-writes.js';

/** The failpoints of Commit, in protocol order (docs/transactions.md). */
export const TXN_FAILPOINTS = [
  'txn.after-lock',
  'txn.after-intent',
  'txn.mid-stage',
  'txn.after-stage',
  'txn.after-commit-point',
  'txn.mid-apply',
  'txn.after-apply',
  'txn.after-index',
] as const;

/** One of TXN_FAILPOINTS. */
export type TxnFailpoint = (typeof TXN_FAILPOINTS)[number];

/** True when a crash at `fp` is at or after the commit point: the transaction must be fully visible. */
export function mustBeVisible(fp: TxnFailpoint): boolean {
  return TXN_FAILPOINTS.indexOf(fp) >= TXN_FAILPOINTS.indexOf('txn.after-commit-point');
}

/** The two collections of every trial (each has an equality index on `tag`). */
export const COLLECTION_A = 'txa';
/** The second collection. */
export const COLLECTION_B = 'txb';

/** Document ids of one trial, all starting with the trial's prefix. */
export interface TrialIds {
  readonly prefix: string;
  /** In A: set with an etag precondition. */ readonly aUpd: string;
  /** In A: absent; set with precondition exists=false. */ readonly aNew: string;
  /** In A: not in the transaction (a control). */ readonly aKeep: string;
  /** In B: set without precondition. */ readonly bUpd: string;
  /** In B: deleted with precondition exists=true. */ readonly bDel: string;
  /** In B: checked with an etag precondition. */ readonly bChk: string;
  /** In B: absent; set without precondition. */ readonly bNew: string;
}

/** The ids of trial `n`. */
export function trialIds(n: number): TrialIds {
  const prefix = `t${String(n).padStart(4, '0')}-`;
  const id = (s: string): string => prefix + s;
  return {
    prefix,
    aUpd: id('upd'),
    aNew: id('new'),
    aKeep: id('keep'),
    bUpd: id('upd'),
    bDel: id('del'),
    bChk: id('chk'),
    bNew: id('new'),
  };
}

/** The ids of a trial read back in each collection. */
export function idsOf(ids: TrialIds): { a: string[]; b: string[] } {
  return { a: [ids.aUpd, ids.aNew, ids.aKeep].sort(), b: [ids.bUpd, ids.bDel, ids.bChk, ids.bNew].sort() };
}

/** A state of both collections of a trial. */
export interface TrialState {
  readonly a: CollectionView;
  readonly b: CollectionView;
}

/** Writes the prior state through `c` and returns it as stored (etags and versions). */
export async function seedPrior(c: ServerClients, ids: TrialIds): Promise<TrialState> {
  const tag = ids.prefix;
  const put = async (collection: string, id: string, data: JsonObject): Promise<DocView> => {
    const { document } = await c.docs.put({ collection, id, data });
    return { data: document!.data!, etag: document!.etag, version: Number(document!.version) };
  };
  // Make the upd documents version 2, so a visible commit shows version 3.
  await put(COLLECTION_A, ids.aUpd, { tag, v: -1 });
  const a: CollectionView = {
    [ids.aUpd]: await put(COLLECTION_A, ids.aUpd, { tag, v: 0, who: 'prior' }),
    [ids.aNew]: null,
    [ids.aKeep]: await put(COLLECTION_A, ids.aKeep, { tag, v: 0, who: 'prior' }),
  };
  const b: CollectionView = {
    [ids.bUpd]: await put(COLLECTION_B, ids.bUpd, { tag, v: 0, who: 'prior' }),
    [ids.bDel]: await put(COLLECTION_B, ids.bDel, { tag, v: 0, who: 'prior' }),
    [ids.bChk]: await put(COLLECTION_B, ids.bChk, { tag, v: 0, who: 'prior' }),
    [ids.bNew]: null,
  };
  return { a, b };
}

/** The Commit of a trial, against its prior state. The first write is staged first (txn.mid-stage). */
export function trialWrites(ids: TrialIds, prior: TrialState): TxnWriteInit[] {
  const tag = ids.prefix;
  return [
    setWrite(COLLECTION_A, ids.aUpd, { tag, v: 1, who: 'txn' }, { etag: prior.a[ids.aUpd]!.etag }),
    setWrite(COLLECTION_A, ids.aNew, { tag, v: 1, who: 'txn', nested: { list: [1, 'two', null, true] } }, { exists: false }),
    setWrite(COLLECTION_B, ids.bUpd, { tag, v: 1, who: 'txn' }),
    deleteWrite(COLLECTION_B, ids.bDel, { exists: true }),
    checkWrite(COLLECTION_B, ids.bChk, { etag: prior.b[ids.bChk]!.etag }),
    setWrite(COLLECTION_B, ids.bNew, { tag, v: 1, who: 'txn' }),
  ];
}

/**
 * What the trial's documents must look like once the transaction committed:
 * data and version exact; written documents carry some etag (checked by
 * stateProblems), untouched and checked ones their prior etag.
 */
export function committedState(ids: TrialIds, prior: TrialState): TrialState {
  const tag = ids.prefix;
  const fresh = '<new etag>';
  return {
    a: {
      [ids.aUpd]: { data: { tag, v: 1, who: 'txn' }, etag: fresh, version: 3 },
      [ids.aNew]: { data: { tag, v: 1, who: 'txn', nested: { list: [1, 'two', null, true] } }, etag: fresh, version: 1 },
      [ids.aKeep]: prior.a[ids.aKeep]!,
    },
    b: {
      [ids.bUpd]: { data: { tag, v: 1, who: 'txn' }, etag: fresh, version: 2 },
      [ids.bDel]: null,
      [ids.bChk]: prior.b[ids.bChk]!,
      [ids.bNew]: { data: { tag, v: 1, who: 'txn' }, etag: fresh, version: 1 },
    },
  };
}

/**
 * How `seen` differs from the state the trial must show: `prior` exactly
 * (etags included) when the transaction must be invisible, committedState
 * when it must be visible (a written document's etag must be new). Empty
 * when it is right.
 */
export function stateProblems(ids: TrialIds, prior: TrialState, seen: TrialState, visible: boolean): string[] {
  const want = visible ? committedState(ids, prior) : prior;
  const problems: string[] = [];
  for (const part of ['a', 'b'] as const) {
    for (const id of Object.keys(want[part]).sort()) {
      const w = want[part][id]!;
      const s = seen[part][id];
      const where = `${part === 'a' ? COLLECTION_A : COLLECTION_B}/${id}`;
      if (s === undefined) {
        problems.push(`${where}: not read`);
      } else if (w === null || s === null) {
        if (w !== s) problems.push(`${where}: expected ${JSON.stringify(w)}, saw ${JSON.stringify(s)}`);
      } else if (!isDeepStrictEqual(s.data, w.data) || s.version !== w.version) {
        problems.push(`${where}: expected ${JSON.stringify(w)}, saw ${JSON.stringify(s)}`);
      } else if (w.etag === '<new etag>') {
        const before = prior[part][id];
        if (s.etag === '' || (before !== null && before !== undefined && s.etag === before.etag))
          problems.push(`${where}: etag ${s.etag} is not new`);
      } else if (s.etag !== w.etag) {
        problems.push(`${where}: etag ${s.etag}, expected ${w.etag}`);
      }
    }
  }
  return problems;
}

/** What the crash must have left in storage at `fp` (so the trial exercises recovery); problems otherwise. */
export function crashDebrisProblems(fp: TxnFailpoint, d: TxnDebris): string[] {
  const step = TXN_FAILPOINTS.indexOf(fp);
  const intents = step === 0 ? [] : [step < TXN_FAILPOINTS.indexOf('txn.after-commit-point') ? 'pending' : 'committed'];
  const marked = d.markedDocs.length;
  const markedOk =
    fp === 'txn.mid-stage'
      ? marked >= 1 && marked <= 6
      : fp === 'txn.after-stage' || fp === 'txn.after-commit-point'
        ? marked === 6
        : fp === 'txn.mid-apply'
          ? marked <= 5
          : marked === 0;
  const problems: string[] = [];
  if (!isDeepStrictEqual(d.intentStates, intents))
    problems.push(`after the crash: intents ${JSON.stringify(d.intentStates)}, expected ${JSON.stringify(intents)}`);
  if (!markedOk) problems.push(`after the crash: ${marked} marked documents (${d.markedDocs.join(', ')})`);
  return problems;
}
