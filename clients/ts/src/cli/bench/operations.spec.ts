import { Code } from '@connectrpc/connect';
import type { SmarterBaseClient } from '../../client';
import { SmarterBaseError } from '../../errors';
import { Operations } from './operations';

/** A fake client: one etag per id, counted calls; putIfMatch loses when `lose` says so (with or without the current etag). */
function fakeDb(lose: (call: number) => 'win' | 'lose' | 'lose-no-etag' = () => 'win') {
  const etags = new Map<string, number>();
  const calls = { get: 0, put: 0, putIfMatch: 0, commit: 0 };
  const write = (id: string) => {
    etags.set(id, (etags.get(id) ?? 0) + 1);
    return { id, etag: `e${etags.get(id)}` };
  };
  const db = {
    get: async (_c: string, id: string) => (calls.get++, { id, etag: `e${etags.get(id) ?? 0}` }),
    put: async (_c: string, id: string) => (calls.put++, write(id)),
    putIfMatch: async (_c: string, id: string, _d: unknown, etag: string) => {
      const result = lose(++calls.putIfMatch);
      if (result === 'win' && etag === `e${etags.get(id) ?? 0}`) return write(id);
      const metadata: Record<string, string> = result === 'lose-no-etag' ? {} : { currentEtag: `e${etags.get(id) ?? 0}` };
      throw new SmarterBaseError({ code: Code.Aborted, reason: 'ETAG_MISMATCH', message: 'etag mismatch', metadata });
    },
    commit: async (ops: { id: string }[]) => (calls.commit++, ops.forEach((o) => write(o.id))),
  };
  return { db: db as unknown as SmarterBaseClient, calls };
}

const workload = { collection: 'c', keys: 3, docBytes: 4 };
/** A random source that always picks key `k`. */
const always = (k: number) => () => (k + 0.5) / workload.keys;

describe('Operations put-if-match', () => {
  test('every put-if-match operation issues a conditional write, also when the tester knows no etag (never read, after a commit, after a lost CAS without one)', async () => {
    const { db, calls } = fakeDb((n) => (n === 3 ? 'lose-no-etag' : 'win'));
    const ops = new Operations(db, workload, always(0));
    const outcomes = [];
    outcomes.push(await ops.run('put-if-match')); // key 0 never read: reads its etag, then writes
    outcomes.push(await ops.run('put-if-match')); // the etag of its own write
    outcomes.push(await ops.run('put-if-match')); // lost, no current etag: forgotten
    outcomes.push(await ops.run('put-if-match')); // knows none again
    outcomes.push(await ops.run('commit')); // commit of 0 (and 0): etag forgotten
    outcomes.push(await ops.run('put-if-match'));
    expect(outcomes).toEqual(['ok', 'ok', 'conflict', 'ok', 'ok', 'ok']);
    expect(calls.putIfMatch).toBe(5);
    expect(calls.get).toBe(3); // the reads the etag-less ones made, within their operation
  });

  test('a lost compare-and-swap that names the current etag writes with it next time, without a read', async () => {
    const { db, calls } = fakeDb((n) => (n === 1 ? 'lose' : 'win'));
    const ops = new Operations(db, workload, always(1));
    await ops.seedOne(1);
    expect(await ops.run('put-if-match')).toBe('conflict');
    expect(await ops.run('put-if-match')).toBe('ok');
    expect(calls).toMatchObject({ putIfMatch: 2, get: 0 });
  });
});
