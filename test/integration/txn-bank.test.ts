/**
 * Isolation proof of Commit (docs/transactions.md): concurrent transfers
 * between accounts, each a read of both accounts and a Commit of two sets
 * with etag preconditions, retried on ABORTED. Whatever the interleaving:
 *   - the total balance is constant and no balance is negative;
 *   - every account's final balance is its initial balance plus the replay
 *     of exactly the transfers the clients saw committed, and its version is
 *     1 + the number of those transfers that touched it, each of which got a
 *     distinct version (a committed transaction whose precondition did not
 *     hold, i.e. a lost update, would break these);
 *   - every transfer ended committed, or declined by a committed check.
 *
 *   - S3 (gofakes3) + Redis, 3 server processes: 1,000 transfers among 20
 *     accounts by 32 concurrent clients;
 *   - the embedded default (filesystem + local), one server: 300 transfers
 *     among 10 accounts by 16 clients.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planTransfers, runBank, type TransferOutcome } from '../harness/bank-workload.js';
import { docClient, type DocClient } from '../harness/doc-client.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';

jest.setTimeout(300_000);

const INITIAL = 1000;
const MAX_AMOUNT = 100;
const MAX_ATTEMPTS = 200;

function accountIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `acct-${String(i).padStart(2, '0')}`);
}

/** Every account's balance and version as `c` reads it (BatchGet). */
async function balances(c: DocClient, collection: string, ids: string[]): Promise<Map<string, { balance: number; version: number }>> {
  const out = new Map<string, { balance: number; version: number }>();
  for await (const r of c.batchGet({ collection, ids })) {
    if (!r.found) throw new Error(`account ${r.id} is missing`);
    out.set(r.id, { balance: Number(r.document!.data!.balance), version: Number(r.document!.version) });
  }
  return out;
}

/** Runs the bank and asserts everything the header promises; returns the outcomes for the caller's extra checks. */
async function proveBank(
  clients: DocClient[],
  label: string,
  nAccounts: number,
  nTransfers: number,
  workers: number,
): Promise<TransferOutcome[]> {
  const collection = `bank_${label}`;
  const ids = accountIds(nAccounts);
  for (const id of ids) await clients[0]!.put({ collection, id, data: { balance: INITIAL } });
  const transfers = planTransfers(ids, nTransfers, MAX_AMOUNT, 20261126);
  const started = Date.now();
  const outcomes = await runBank(clients, { collection, transfers, workers, maxAttempts: MAX_ATTEMPTS });
  const ms = Date.now() - started;

  const count = (s: TransferOutcome['status']): number => outcomes.filter((o) => o.status === s).length;
  const aborted = outcomes.reduce((s, o) => s + o.aborted, 0);
  const contention = outcomes.reduce((s, o) => s + o.contention, 0);
  console.log(
    `${label}: ${nTransfers} transfers, ${workers} clients, ${clients.length} server(s), ${nAccounts} accounts in ${(ms / 1000).toFixed(1)} s: ` +
      `committed ${count('committed')}, declined ${count('declined')}, gave up ${count('gave-up')}, errors ${count('error')}; ` +
      `ABORTED answers retried ${aborted} (${aborted - contention} PRECONDITION_FAILED, ${contention} TRANSACTION_CONTENTION; max ${Math.max(...outcomes.map((o) => o.aborted))} for one transfer)`,
  );
  expect(outcomes.filter((o) => o.status === 'error').map((o) => o.error)).toEqual([]);
  expect(count('gave-up')).toBe(0);
  expect(count('committed') + count('declined')).toBe(nTransfers);
  expect(aborted).toBeGreaterThan(0); // the run was contended, or it proves nothing

  // The replay of exactly the committed transfers.
  const expected = new Map(ids.map((id) => [id, { balance: INITIAL, version: 1, versions: [] as number[] }]));
  for (const o of outcomes) {
    if (o.status !== 'committed') continue;
    const from = expected.get(o.transfer.from)!;
    const to = expected.get(o.transfer.to)!;
    from.balance -= o.transfer.amount;
    to.balance += o.transfer.amount;
    from.version++;
    to.version++;
    from.versions.push(o.versions![0]);
    to.versions.push(o.versions![1]);
  }
  for (const c of clients) {
    const final = await balances(c, collection, ids);
    const total = [...final.values()].reduce((s, a) => s + a.balance, 0);
    expect(total).toBe(nAccounts * INITIAL);
    for (const id of ids) {
      expect({ id, ...final.get(id)! }).toEqual({ id, balance: expected.get(id)!.balance, version: expected.get(id)!.version });
      expect(final.get(id)!.balance).toBeGreaterThanOrEqual(0);
    }
  }
  // Each committed transfer produced a distinct next version of both its accounts.
  for (const id of ids) {
    const e = expected.get(id)!;
    expect({ id, versions: [...e.versions].sort((a, b) => a - b) }).toEqual({
      id,
      versions: Array.from({ length: e.version - 1 }, (_, i) => i + 2),
    });
  }
  return outcomes;
}

describe('S3 (gofakes3) + Redis, 3 server processes', () => {
  let stack: SharedStack | undefined;

  beforeAll(async () => {
    stack = await startSharedStack(3);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('1,000 transfers among 20 accounts by 32 concurrent clients: money is conserved and equals the replay of the commits', async () => {
    await proveBank(
      stack!.servers.map((s) => docClient(s.grpcUrl)),
      's3',
      20,
      1000,
      32,
    );
  });
});

describe('embedded default (filesystem + local), one server', () => {
  let dir: string;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-txn-bank-'));
    server = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: dir, SB_COORDINATION: 'local' });
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('300 transfers among 10 accounts by 16 concurrent clients: money is conserved and equals the replay of the commits', async () => {
    await proveBank([docClient(server!.grpcUrl)], 'fs', 10, 300, 16);
  });
});
