import { RedisGuard } from '../../coordination/redis/redis-guard.js';
import { FakeScheduleRedis } from './fake-schedule-redis.js';
import { RedisPurgeSchedule } from './redis-purge-schedule.js';

function setup(known: string[] = []) {
  const redis = new FakeScheduleRedis();
  const s = new RedisPurgeSchedule({ redis: redis.client(), guard: new RedisGuard({}, 'expiry'), claimMs: 1000 });
  const lost = { registry: 0, collections: [] as string[] };
  s.listen({ known: () => known, registryLost: () => lost.registry++, collectionLost: (c) => lost.collections.push(c) });
  return { redis, s, lost };
}

describe('RedisPurgeSchedule', () => {
  it('claims over the registered and the known collections, up to max in all, and carries each claim end', async () => {
    const { redis, s, lost } = setup(['local']);
    redis.queue('ttl.read_registry', [1, 'a', 'b']);
    redis.queue('ttl.claim', [1, 'a1', '100', 'a2', '150'], [1, 'b1', '120.5']); // b1: a lapsed claim's end, floored
    const got = await s.takeDue(500, 3);
    expect(got).toEqual([
      { collection: 'a', id: 'a1', expireAtMs: 100, claimedUntilMs: 1500.5 },
      { collection: 'a', id: 'a2', expireAtMs: 150, claimedUntilMs: 1500.5 },
      { collection: 'b', id: 'b1', expireAtMs: 120, claimedUntilMs: 1500.5 },
    ]);
    // The budget left is passed on; with none left, 'local' is not asked.
    expect(redis.calls.filter((c) => c.op === 'ttl.claim').map((c) => c.args)).toEqual([
      ['sb:{ix:a}:x', 'sb:{ix:a}:xb', '500', '1500.5', '3'],
      ['sb:{ix:b}:x', 'sb:{ix:b}:xb', '500', '1500.5', '1'],
    ]);
    expect(s.registered()).toEqual(new Set(['a', 'b']));
    expect(lost).toEqual({ registry: 0, collections: [] });
  });

  it('reports a missing registry born key and each collection whose schedule is not confirmed', async () => {
    const { redis, s, lost } = setup(['mine']);
    redis.queue('ttl.read_registry', [0]);
    redis.queue('ttl.claim', [0]);
    expect(await s.takeDue(500, 10)).toEqual([]);
    expect(lost).toEqual({ registry: 1, collections: ['mine'] });
  });

  it('settles and releases against the claim, retries a script Redis no longer has with EVAL, and reads due ids within a claim period (all of them while the schedule is unconfirmed)', async () => {
    const { redis, s } = setup();
    const e = { collection: 'c', id: 'x', expireAtMs: 100, claimedUntilMs: 1500.5 };
    redis.noScriptOnce = true;
    await s.settle(e, 700);
    await s.retry(e);
    expect(redis.calls.map((c) => [c.op, ...c.args])).toEqual([
      ['ttl.settle', 'sb:{ix:c}:x', 'sb:{ix:c}:xs', 'x', '1500.5', '700', '60000'],
      ['eval ttl.settle', 'sb:{ix:c}:x', 'sb:{ix:c}:xs', 'x', '1500.5', '700', '60000'],
      ['ttl.release', 'sb:{ix:c}:x', 'x', '1500.5', '100'],
    ]);
    redis.queue('ttl.due_among', [1, 'due', 'claimed'], [0]);
    expect(await s.dueAmong('c', ['due', 'none', 'claimed', 'later'], 600)).toEqual(new Set(['due', 'claimed']));
    expect(redis.calls.at(-1)!.args).toEqual([
      'sb:{ix:c}:x',
      'sb:{ix:c}:xb',
      'sb:{ix:c}:xs',
      '1601',
      String(600 - 60_000),
      'due',
      'none',
      'claimed',
      'later',
    ]);
    // An unconfirmed schedule: every id must be re-read.
    expect(await s.dueAmong('c', ['a', 'b'], 600)).toEqual(new Set(['a', 'b']));
    expect(await s.dueAmong('c', [], 600)).toEqual(new Set());
  });

  it('adds with ZADD, restores with its script, and registers with the completeness flag', async () => {
    const { redis, s } = setup();
    await s.add('c', 'x', 10);
    await s.restore('c', 'y', 20);
    await s.register(['c', 'd'], true);
    await s.register(['e'], false);
    expect(redis.calls.map((c) => [c.op, ...c.args])).toEqual([
      ['zadd', 'sb:{ix:c}:x', 10, 'x'],
      ['ttl.restore', 'sb:{ix:c}:x', 'sb:{ix:c}:xs', '20', 'y'],
      ['ttl.register', 'sb:{ttl}:collections', 'sb:{ttl}:born', '1', 'c', 'd'],
      ['ttl.register', 'sb:{ttl}:collections', 'sb:{ttl}:born', '0', 'e'],
    ]);
  });

  it('refuses to send once the signal aborted', async () => {
    const { s } = setup();
    const ac = new AbortController();
    ac.abort();
    await expect(s.add('c', 'x', 1, ac.signal)).rejects.toThrow();
  });
});
