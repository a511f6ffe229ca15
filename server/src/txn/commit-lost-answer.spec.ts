/**
 * A Commit whose commit point (the intent's flip to committed) fails without
 * a refused condition — a timeout, a reset connection: the flip may have
 * landed with only its answer lost. The runner must never roll the documents
 * back while the intent may say "committed" (commit-point.ts).
 */
import { DbError } from '../errors/db-error.js';
import { INTENTS_PREFIX } from '../format/bucket-layout.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { FenceChecker } from '../locks/fence-checker.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import type { Blob, BlobMeta, WriteCondition } from '../storage/blob-store.js';
import { DocumentEngine } from '../engine/document-engine.js';
import type { TxnWrite } from '../api/document-api.js';

const unavailable = () => new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'the storage backend is unavailable');
const isCommittedIntent = (key: string, body: Uint8Array) =>
  key.startsWith(INTENTS_PREFIX) && new TextDecoder().decode(body).includes('"committed"');

/** A memory store whose first committed-intent write fails: after landing (`lost`) or before (`refused`); optionally the intent read after it fails too. */
class FlakyCommitPoint extends MemoryBlobStore {
  failures = 0;
  private intentReadsToFail = 0;
  constructor(
    private readonly mode: 'lost' | 'refused',
    private readonly readBackFails: boolean,
  ) {
    super();
  }
  override async put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    const hit = this.failures === 0 && isCommittedIntent(key, body);
    if (hit && this.mode === 'refused') {
      this.failures++;
      throw unavailable();
    }
    const meta = await super.put(key, body, condition, signal);
    if (hit) {
      this.failures++;
      if (this.readBackFails) this.intentReadsToFail = 1;
      throw unavailable();
    }
    return meta;
  }
  override async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    if (this.intentReadsToFail > 0 && key.startsWith(INTENTS_PREFIX)) {
      this.intentReadsToFail--;
      throw unavailable();
    }
    return super.get(key, signal);
  }
}

const ctx = { signal: new AbortController().signal };
const transfer: TxnWrite[] = [
  { collection: 'acc', id: 'a', op: 'set', data: { bal: 5 } },
  { collection: 'acc', id: 'b', op: 'set', data: { bal: 5 } },
];

async function setup(store: FlakyCommitPoint) {
  const coordinator = new LocalCoordinator();
  const engine = new DocumentEngine({ store, coordinator, fences: new FenceChecker(coordinator) });
  await engine.put(ctx, { collection: 'acc', id: 'a', data: { bal: 10 } });
  await engine.put(ctx, { collection: 'acc', id: 'b', data: { bal: 0 } });
  const balances = async () => [(await engine.get(ctx, 'acc', 'a')).data, (await engine.get(ctx, 'acc', 'b')).data];
  return { engine, balances };
}

const outcomeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof DbError ? `${e.kind}/${e.reason}` : String(e)),
  );

test('the flip landed, its answer was lost: the runner reads the intent back, answers ok, and the writes stay applied', async () => {
  const store = new FlakyCommitPoint('lost', false);
  const { engine, balances } = await setup(store);
  expect(await outcomeOf(engine.commit(ctx, { writes: transfer }))).toBe('ok');
  expect(store.failures).toBe(1);
  expect(await balances()).toEqual([{ bal: 5 }, { bal: 5 }]);
  await engine.recoverTransactions(ctx.signal);
  expect(await balances()).toEqual([{ bal: 5 }, { bal: 5 }]);
});

test('the flip landed and the read-back fails too: UNAVAILABLE, nothing undone, a request_id retry learns it committed', async () => {
  const store = new FlakyCommitPoint('lost', true);
  const { engine, balances } = await setup(store);
  expect(await outcomeOf(engine.commit(ctx, { writes: transfer, requestId: 'req-1' }))).toBe('unavailable/BACKEND_UNAVAILABLE');
  // Readers settle the committed intent they meet: the transaction is visible whole.
  expect(await balances()).toEqual([{ bal: 5 }, { bal: 5 }]);
  const retried = await engine.commit(ctx, { writes: transfer, requestId: 'req-1' });
  expect(retried.results.map((r) => r.version)).toEqual([2, 2]);
  await engine.recoverTransactions(ctx.signal);
  expect(await balances()).toEqual([{ bal: 5 }, { bal: 5 }]);
});

test('the flip did not land: the attempt is undone and the error stands; nothing is applied, before or after recovery', async () => {
  const store = new FlakyCommitPoint('refused', false);
  const { engine, balances } = await setup(store);
  expect(await outcomeOf(engine.commit(ctx, { writes: transfer }))).toBe('unavailable/BACKEND_UNAVAILABLE');
  expect(store.failures).toBe(1);
  expect(await balances()).toEqual([{ bal: 10 }, { bal: 0 }]);
  await engine.recoverTransactions(ctx.signal);
  expect(await balances()).toEqual([{ bal: 10 }, { bal: 0 }]);
  // And the documents are free: a new transaction commits.
  expect(await outcomeOf(engine.commit(ctx, { writes: transfer }))).toBe('ok');
  expect(await balances()).toEqual([{ bal: 5 }, { bal: 5 }]);
});
