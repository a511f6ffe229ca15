import { ManualClock } from '../../common/manual-clock.js';
import { RedisGuard } from '../../coordination/redis/redis-guard.js';
import { encodeEnvelope, newWriteId } from '../../format/envelope.js';
import { documentKey, expiringMarkerKey } from '../../format/bucket-layout.js';
import { MemoryBlobStore } from '../../storage/memory/memory-store.js';
import { FakeScheduleRedis } from './fake-schedule-redis.js';
import { RedisExpiry } from './redis-expiry.js';

const T = 1_900_000_000_000;

async function setup(rebuildSettleMs = 0) {
  const store = new MemoryBlobStore();
  const redis = new FakeScheduleRedis();
  const losses: string[] = [];
  const rebuilt: unknown[] = [];
  const expiry = RedisExpiry.attach(redis.client(), {
    store,
    clock: new ManualClock({ startMs: T }),
    sweepMs: 3_600_000,
    rebuildSettleMs,
    guard: new RedisGuard({}, 'expiry'),
    onLoss: (w) => losses.push(w.collection ?? 'registry'),
  });
  return { store, redis, losses, rebuilt, expiry };
}

/** Waits for the background work the last sweep started (hang guard: 10 s). */
async function settled(cond: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('RedisExpiry', () => {
  it('registers every marker at start, and a marked collection once per process on its first expiring write', async () => {
    const { store, redis, expiry } = await setup();
    await store.put(expiringMarkerKey('old'), Buffer.from('{}'));
    await expiry.start(async () => 'dropped');
    await expiry.markExpiring('new');
    await expiry.markExpiring('new');
    const registers = redis.calls.filter((c) => c.op === 'ttl.register').map((c) => c.args.slice(2));
    expect(registers).toEqual([
      ['1', 'old'],
      ['0', 'new'],
    ]);
    expect(await store.get(expiringMarkerKey('new'))).toBeDefined();
    expect(expiry.isExpiring('old')).toBe(true);
    expect(expiry.isExpiring('other')).toBe(false);
    redis.queue('ttl.read_registry', [1, 'old', 'new', 'other']);
    await expiry.sweep();
    expect(expiry.isExpiring('other')).toBe(true); // marked by another server: known from the registry
    await expiry.close();
    expect(redis.ops()).not.toContain('disconnect'); // attached: the connection is the caller's
  });

  it('rebuilds a collection whose schedule is unconfirmed from storage, then confirms it with its token', async () => {
    const { store, redis, losses, expiry } = await setup();
    await store.put(expiringMarkerKey('c'), Buffer.from('{}'));
    const doc = (expireTime?: Date) =>
      encodeEnvelope({
        meta: {
          version: 1,
          createTime: new Date(T),
          updateTime: new Date(T),
          writeId: newWriteId(),
          ...(expireTime ? { expireTime } : {}),
        },
        data: {},
      });
    await store.put(documentKey('c', 'a'), doc(new Date(T + 5)));
    await store.put(documentKey('c', 'b'), doc());
    const rebuilt: unknown[] = [];
    await expiry.start(
      async () => 'dropped',
      (r) => rebuilt.push(r),
    );
    redis.queue('ttl.read_registry', [1, 'c']);
    redis.queue('ttl.claim', [0]); // c's born key is missing
    await expiry.sweep();
    await settled(() => redis.ops().includes('ttl.confirm_rebuild'));
    expect(losses).toEqual(['c']);
    expect(rebuilt).toEqual([{ collections: 1, documents: 2, scheduled: 1 }]);
    const begin = redis.calls.find((c) => c.op === 'ttl.begin_rebuild')!;
    const confirm = redis.calls.find((c) => c.op === 'ttl.confirm_rebuild')!;
    expect(begin.args[0]).toBe('sb:{ix:c}:xr');
    expect(confirm.args.slice(0, 3)).toEqual(['sb:{ix:c}:xr', 'sb:{ix:c}:xb', begin.args[1]]);
    expect(redis.calls.filter((c) => c.op === 'ttl.restore').map((c) => c.args)).toEqual([
      ['sb:{ix:c}:x', 'sb:{ix:c}:xs', String(T + 5), 'a'],
    ]);
    await expiry.close();
  });

  it('reloads the markers from storage into the registry when the registry was lost', async () => {
    const { store, redis, losses, expiry } = await setup();
    await expiry.start(async () => 'dropped');
    await store.put(expiringMarkerKey('late'), Buffer.from('{}')); // marked by another server since
    redis.queue('ttl.read_registry', [0]);
    await expiry.sweep();
    await settled(() => redis.calls.filter((c) => c.op === 'ttl.register').length === 2);
    expect(losses).toEqual(['registry']);
    expect(redis.calls.filter((c) => c.op === 'ttl.register').map((c) => c.args.slice(2))).toEqual([['1'], ['1', 'late']]);
    await expiry.close();
  });

  it('has a keys-only listing re-read the ids the schedule names, and every id when Redis does not answer', async () => {
    const { redis, expiry } = await setup();
    redis.queue('ttl.due_among', [1, 'b']);
    expect(await expiry.dueAmong('c', ['a', 'b'], T)).toEqual(new Set(['b']));
    (redis as unknown as { evalsha: () => Promise<never> }).evalsha = () => Promise.reject(new Error('connection lost'));
    expect(await expiry.dueAmong('c', ['a', 'b'], T)).toEqual(new Set(['a', 'b']));
  });

  it('lists a lost collection only after the settle time, so a write that scheduled into the lost Redis and lands meanwhile is scheduled again', async () => {
    const { store, redis, expiry } = await setup(300);
    await store.put(expiringMarkerKey('c'), Buffer.from('{}'));
    const rebuilt: unknown[] = [];
    await expiry.start(
      async () => 'dropped',
      (r) => rebuilt.push(r),
    );
    redis.queue('ttl.read_registry', [1, 'c']);
    redis.queue('ttl.claim', [0]);
    await expiry.sweep();
    await settled(() => redis.ops().includes('ttl.begin_rebuild'));
    await new Promise((r) => setTimeout(r, 100));
    // The late write lands 100 ms after the rebuild began (its expiry was scheduled into the Redis that was lost).
    const meta = { version: 1, createTime: new Date(T), updateTime: new Date(T), writeId: newWriteId(), expireTime: new Date(T + 9) };
    await store.put(documentKey('c', 'late'), encodeEnvelope({ meta, data: {} }));
    await settled(() => redis.ops().includes('ttl.confirm_rebuild'));
    expect(rebuilt).toEqual([{ collections: 1, documents: 1, scheduled: 1 }]);
    expect(redis.calls.filter((c) => c.op === 'ttl.restore').map((c) => c.args.slice(2))).toEqual([[String(T + 9), 'late']]);
    await expiry.close();
  });
});
