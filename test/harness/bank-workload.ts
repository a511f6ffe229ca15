/**
 * The bank workload of the transaction isolation proof
 * (test/integration/txn-bank.test.ts): concurrent clients move money between
 * accounts, each transfer a read of both accounts and a Commit of two sets
 * with etag preconditions, retried from the read on ABORTED, exactly as a
 * client of a database must. A transfer the source cannot cover is declined
 * by a Commit of a check on the source's etag (so the decision, too, rests
 * on a state that held at a commit point).
 */
import type { DocClient } from './doc-client.js';
import { checkWrite, failure, setWrite } from './txn-writes.js';

/** One planned transfer. */
export interface Transfer {
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

/** How a transfer ended, as its client saw it. */
export interface TransferOutcome {
  readonly transfer: Transfer;
  readonly status: 'committed' | 'declined' | 'gave-up' | 'error';
  /** Commits that answered ABORTED before the final one (PRECONDITION_FAILED or TRANSACTION_CONTENTION). */
  readonly aborted: number;
  /** How many of those were TRANSACTION_CONTENTION (the others PRECONDITION_FAILED). */
  readonly contention: number;
  /** For committed: the versions the Commit reported for [from, to]. */
  readonly versions?: readonly [number, number];
  /** For error: the unexpected failure. */
  readonly error?: string;
}

/** Options of runBank. */
export interface BankOptions {
  readonly collection: string;
  readonly transfers: readonly Transfer[];
  readonly workers: number;
  /** Attempts per transfer before it gives up. */
  readonly maxAttempts: number;
}

/** A deterministic pseudo-random generator (mulberry32) in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` transfers between distinct accounts of `ids`, amounts 1..maxAmount, from `seed`. */
export function planTransfers(ids: readonly string[], count: number, maxAmount: number, seed: number): Transfer[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const from = Math.floor(rnd() * ids.length);
    const to = (from + 1 + Math.floor(rnd() * (ids.length - 1))) % ids.length;
    return { from: ids[from]!, to: ids[to]!, amount: 1 + Math.floor(rnd() * maxAmount) };
  });
}

async function readAccount(c: DocClient, collection: string, id: string): Promise<{ balance: number; etag: string }> {
  const { document } = await c.get({ collection, id });
  return { balance: Number(document!.data!.balance), etag: document!.etag };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs one transfer to its end through `clients` (rotating servers between attempts). */
async function runTransfer(clients: readonly DocClient[], first: number, o: BankOptions, t: Transfer): Promise<TransferOutcome> {
  let aborted = 0;
  let contention = 0;
  for (let attempt = 0; attempt < o.maxAttempts; attempt++) {
    const c = clients[(first + attempt) % clients.length]!;
    try {
      const [src, dst] = await Promise.all([readAccount(c, o.collection, t.from), readAccount(c, o.collection, t.to)]);
      if (src.balance < t.amount) {
        await c.commit({ writes: [checkWrite(o.collection, t.from, { etag: src.etag })] });
        return { transfer: t, status: 'declined', aborted, contention };
      }
      const res = await c.commit({
        writes: [
          setWrite(o.collection, t.from, { balance: src.balance - t.amount }, { etag: src.etag }),
          setWrite(o.collection, t.to, { balance: dst.balance + t.amount }, { etag: dst.etag }),
        ],
      });
      return {
        transfer: t,
        status: 'committed',
        aborted,
        contention,
        versions: [Number(res.results[0]!.version), Number(res.results[1]!.version)],
      };
    } catch (e) {
      const f = failure(e);
      if (f.reason !== 'PRECONDITION_FAILED' && f.reason !== 'TRANSACTION_CONTENTION') {
        return { transfer: t, status: 'error', aborted, contention, error: `${f.code} ${f.reason}: ${f.message}` };
      }
      aborted++;
      if (f.reason === 'TRANSACTION_CONTENTION') contention++;
      await pause(Math.random() * Math.min(100, 2 ** Math.min(attempt, 7)));
    }
  }
  return { transfer: t, status: 'gave-up', aborted, contention };
}

/** Runs every transfer with `workers` concurrent workers (worker w starts on clients[w % n]); one outcome per transfer, in plan order. */
export async function runBank(clients: readonly DocClient[], o: BankOptions): Promise<TransferOutcome[]> {
  const outcomes: TransferOutcome[] = new Array(o.transfers.length);
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    for (let i = next++; i < o.transfers.length; i = next++) outcomes[i] = await runTransfer(clients, w, o, o.transfers[i]!);
  };
  await Promise.all(Array.from({ length: o.workers }, (_, w) => worker(w)));
  return outcomes;
}
