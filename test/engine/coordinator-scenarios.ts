/**
 * One scenario set for every Coordinator adapter (local and redis): each
 * adapter's suite calls coordinatorScenarios() with a factory.
 */
import { randomUUID } from 'node:crypto';
import type { Coordinator, MutexHandle } from '../../server/src/coordination/coordinator.js';
import { DbError } from '../../server/src/errors/db-error.js';

/** Makes the coordinators under test; all of them must share one backend. */
export type CoordinatorFactory = () => Promise<Coordinator[]>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

/** Registers the shared scenarios in the current describe block. */
export function coordinatorScenarios(make: CoordinatorFactory): void {
  let coordinators: Coordinator[] = [];
  const first = (): Coordinator => coordinators[0] as Coordinator;
  const name = (): string => `m-${randomUUID()}`;

  beforeEach(async () => {
    coordinators = await make();
  });
  afterEach(async () => {
    await Promise.all(coordinators.map((c) => c.close()));
  });

  it('ping answers', async () => {
    for (const c of coordinators) await expect(c.ping()).resolves.toBeUndefined();
  });

  it('20 concurrent workers with awaits inside the critical section: exactly N increments, never two holders, tokens increase in grant order', async () => {
    const mutex = name();
    let counter = 0;
    let holders = 0;
    let maxHolders = 0;
    const tokens: bigint[] = [];
    const rounds = 5;
    const worker = async (w: number): Promise<void> => {
      const c = coordinators[w % coordinators.length] as Coordinator;
      for (let i = 0; i < rounds; i++) {
        const h = await c.acquireMutex(mutex, { ttlMs: 10_000, waitMs: 30_000 });
        holders++;
        maxHolders = Math.max(maxHolders, holders);
        tokens.push(h.fencingToken);
        const read = counter;
        await sleep(Math.random() * 2);
        counter = read + 1;
        holders--;
        await h.release();
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, w) => worker(w)));
    expect(counter).toBe(20 * rounds);
    expect(maxHolders).toBe(1);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
  });

  it('fencing tokens strictly increase per name, interleaved with other names', async () => {
    const a = name();
    const b = name();
    let last = -1n;
    for (let i = 0; i < 10; i++) {
      const c = coordinators[i % coordinators.length] as Coordinator;
      const h = await c.acquireMutex(a, { ttlMs: 5000, waitMs: 0 });
      expect(typeof h.fencingToken).toBe('bigint');
      expect(h.fencingToken > last).toBe(true);
      last = h.fencingToken;
      await h.release();
      await (await c.acquireMutex(b, { ttlMs: 5000, waitMs: 0 })).release();
    }
  });

  it('a released mutex is granted to a waiter at once', async () => {
    const m = name();
    const held = await first().acquireMutex(m, { ttlMs: 30_000, waitMs: 0 });
    const started = Date.now();
    const waiting = coordinators[coordinators.length - 1]!.acquireMutex(m, { ttlMs: 5000, waitMs: 10_000 });
    await sleep(100);
    await held.release();
    const next = await waiting;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(next.fencingToken > held.fencingToken).toBe(true);
    await next.release();
  });

  it('TTL expiry lets the next waiter in, and the expired holder cannot release the new grant', async () => {
    const m = name();
    const expired = await first().acquireMutex(m, { ttlMs: 200, waitMs: 0 });
    const started = Date.now();
    const next = await coordinators[coordinators.length - 1]!.acquireMutex(m, { ttlMs: 30_000, waitMs: 5000 });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(2000);
    expect(next.fencingToken > expired.fencingToken).toBe(true);
    await expired.release(); // a no-op now
    const e = await errorOf(first().acquireMutex(m, { ttlMs: 1000, waitMs: 50 }));
    expect(e.kind).toBe('aborted');
    await next.release();
    await (await first().acquireMutex(m, { ttlMs: 1000, waitMs: 0 })).release();
  });

  it('a wait that exhausts waitMs fails with aborted CONCURRENT_MODIFICATION', async () => {
    const m = name();
    const held = await first().acquireMutex(m, { ttlMs: 30_000, waitMs: 0 });
    const started = Date.now();
    const e = await errorOf(first().acquireMutex(m, { ttlMs: 1000, waitMs: 150 }));
    const waited = Date.now() - started;
    expect(e).toMatchObject({ kind: 'aborted', reason: 'CONCURRENT_MODIFICATION' });
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(1500);
    const immediate = await errorOf(first().acquireMutex(m, { ttlMs: 1000, waitMs: 0 }));
    expect(immediate.kind).toBe('aborted');
    await held.release();
  });

  it('aborting the signal ends the wait with cancelled, and the mutex is not left taken', async () => {
    const m = name();
    const held = await first().acquireMutex(m, { ttlMs: 30_000, waitMs: 0 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 80);
    const started = Date.now();
    const e = await errorOf(first().acquireMutex(m, { ttlMs: 30_000, waitMs: 20_000, signal: ac.signal }));
    expect(e).toMatchObject({ kind: 'cancelled', reason: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(1000);
    const pre = await errorOf(first().acquireMutex(name(), { ttlMs: 1000, waitMs: 0, signal: AbortSignal.abort() }));
    expect(pre.kind).toBe('cancelled');
    await held.release();
    const h: MutexHandle = await first().acquireMutex(m, { ttlMs: 1000, waitMs: 500 });
    await h.release();
  });

  it('a memo left at release goes to the next holder only (on any coordinator), taken in its grant', async () => {
    const m = name();
    const last = (): Coordinator => coordinators[coordinators.length - 1]!;
    const a = await first().acquireMutex(m, { ttlMs: 5000, waitMs: 0 });
    expect(a.memo).toBeUndefined();
    await a.release({ value: 'etag-1', ttlMs: 60_000 });
    const b = await last().acquireMutex(m, { ttlMs: 5000, waitMs: 0 });
    expect(b.memo).toBe('etag-1');
    await b.release(); // leaves none: the memo is gone with b's grant
    const c = await first().acquireMutex(m, { ttlMs: 5000, waitMs: 0 });
    expect(c.memo).toBeUndefined();
    await c.release({ value: 'etag-2', ttlMs: 60_000 });
    await (await first().acquireMutex(name(), { ttlMs: 5000, waitMs: 0 })).release({ value: 'other', ttlMs: 60_000 });
    const d = await last().acquireMutex(m, { ttlMs: 5000, waitMs: 0 });
    expect(d.memo).toBe('etag-2');
    await d.release();
  });

  it('a holder whose grant expired leaves no memo; an expired memo is not seen', async () => {
    const m = name();
    const expired = await first().acquireMutex(m, { ttlMs: 100, waitMs: 0 });
    await sleep(250);
    await expired.release({ value: 'stale', ttlMs: 60_000 });
    const next = await first().acquireMutex(m, { ttlMs: 5000, waitMs: 0 });
    expect(next.memo).toBeUndefined();
    await next.release({ value: 'short', ttlMs: 50 });
    await sleep(200);
    const after = await first().acquireMutex(m, { ttlMs: 5000, waitMs: 0 });
    expect(after.memo).toBeUndefined();
    await after.release();
  });

  it('rejects unusable options', async () => {
    await expect(first().acquireMutex('', { ttlMs: 1000, waitMs: 0 })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(first().acquireMutex(name(), { ttlMs: 0, waitMs: 0 })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(first().acquireMutex(name(), { ttlMs: 10, waitMs: -1 })).rejects.toMatchObject({ kind: 'invalid' });
  });
}
