import { DbError } from '../errors/db-error.js';
import { ManualClock, fixedRandom } from '../common/manual-clock.js';
import { ConditionFailedError } from './blob-store.js';
import { FaultyBlobStore } from './faulty-store.js';
import { MemoryBlobStore } from './memory/memory-store.js';
import { RetryingBlobStore, isRetryable } from './retrying-store.js';

const down = (): DbError => new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'storage unavailable');
const throttled = (): DbError => new DbError('resource_exhausted', 'BACKEND_THROTTLED', 'storage throttled', { retryDelayMs: 1000 });
const body = (s: string): Uint8Array => Buffer.from(s);

function setup(options: { maxAttempts?: number; budgetMs?: number } = {}) {
  const memory = new MemoryBlobStore();
  const faulty = new FaultyBlobStore(memory);
  const clock = new ManualClock({ autoAdvance: true });
  const store = new RetryingBlobStore(faulty, { clock, random: fixedRandom(0.5), ...options });
  return { memory, faulty, clock, store };
}

describe('RetryingBlobStore', () => {
  test('retries unavailable and throttled failures with growing waits on its clock, up to maxAttempts', async () => {
    const { faulty, clock, store } = setup();
    await store.put('k', body('v'));
    faulty.failNext('get', down).failNext('get', throttled);
    await expect(store.get('k')).resolves.toMatchObject({ body: body('v') });
    expect(faulty.calls.get).toBe(3);
    expect(clock.sleeps).toEqual([13, 500]); // random 0.5 of [0, 25] (unavailable, attempt 0) and of [0, 1000] (throttled, attempt 1)
    faulty.failNext('list', down, 3);
    await expect(store.list({ prefix: '', limit: 10 })).rejects.toMatchObject({ kind: 'unavailable' });
    expect(faulty.calls.list).toBe(3);
  });

  test('never retries a failed condition, an abort or any other error', async () => {
    const { faulty, store } = setup();
    await store.put('k', body('v1'));
    await expect(store.put('k', body('v2'), { ifNoneMatch: true })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(store.delete('k', { ifMatch: 'nope' })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(faulty.calls).toMatchObject({ put: 2, delete: 1 });
    for (const error of [
      new DbError('cancelled', 'CANCELLED', 'gone'),
      new DbError('internal', 'INTERNAL_ERROR', 'bug'),
      new Error('plain'),
    ]) {
      faulty.failNext('head', error);
      await expect(store.head('k')).rejects.toBe(error);
    }
    expect(faulty.calls.head).toBe(3);
    expect(
      [down(), throttled(), new ConditionFailedError('k'), new DbError('deadline_exceeded', 'DEADLINE_EXCEEDED', 'late')].map(isRetryable),
    ).toEqual([true, true, false, false]);
  });

  test('a conditional put whose lost answer hid its success is its own success, not a conflict', async () => {
    const { memory, faulty, store } = setup();
    faulty.failNext('put', down, 1, 'after'); // applied, answer lost
    const meta = await store.put('k', body('mine'), { ifNoneMatch: true });
    expect(meta).toEqual({ etag: (await memory.head('k'))!.etag });
    expect(faulty.calls.put).toBe(2);
    // Someone else's body under the key: the condition failure stands.
    faulty.failNext('put', down, 1, 'before');
    await memory.put('other', body('theirs'));
    const e = await store.put('other', body('mine'), { ifNoneMatch: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConditionFailedError);
  });

  test('a conditional delete that fails its condition after a lost answer reports the outcome as unknown', async () => {
    const { memory, faulty, store } = setup();
    const { etag } = await memory.put('k', body('v'));
    faulty.failNext('delete', down, 1, 'after');
    await expect(store.delete('k', { ifMatch: etag })).rejects.toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
    expect(await memory.get('k')).toBeUndefined();
  });

  test('stops when the signal aborts during a wait, and starts no retry past its budget', async () => {
    const memory = new MemoryBlobStore();
    const faulty = new FaultyBlobStore(memory).failNext('get', down, 5);
    const clock = new ManualClock();
    const store = new RetryingBlobStore(faulty, { clock, random: fixedRandom(0.5), maxAttempts: 5 });
    const controller = new AbortController();
    const pending = store.get('k', controller.signal);
    await new Promise((r) => setImmediate(r));
    expect(clock.pending()).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled' });
    expect(faulty.calls.get).toBe(1);

    const budget = setup({ maxAttempts: 5, budgetMs: 20 });
    budget.faulty.failNext('get', throttled, 5);
    await expect(budget.store.get('k')).rejects.toMatchObject({ reason: 'BACKEND_THROTTLED' });
    expect(budget.faulty.calls.get).toBe(1); // a 250 ms wait would pass the 20 ms budget
  });
});
