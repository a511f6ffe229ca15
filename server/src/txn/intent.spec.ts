import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { ConditionFailedError } from '../storage/blob-store.js';
import { decodeIntent, encodeIntent, IntentStore, type Intent } from './intent.js';

const intent: Intent = {
  txid: 't1',
  state: 'pending',
  createTime: new Date('2026-11-26T12:00:00Z'),
  expireTime: new Date('2026-11-26T12:00:30Z'),
  requestKey: '_txn/requests/abc',
  writes: [
    {
      collection: 'c',
      id: 'a',
      op: 'set',
      beforeEtag: 'e1',
      seq: 7,
      after: {
        meta: {
          version: 2,
          createTime: new Date('2026-01-01T00:00:00Z'),
          updateTime: new Date('2026-11-26T12:00:00Z'),
          writeId: 'w',
          seq: 7,
        },
        data: { n: 1 },
      },
    },
    { collection: 'c', id: 'b', op: 'delete', beforeEtag: null },
    { collection: 'd', id: 'k', op: 'check', beforeEtag: 'e2' },
  ],
};

describe('intent records', () => {
  test('encode/decode round-trips every field', () => {
    expect(decodeIntent(encodeIntent(intent), 't1')).toEqual(intent);
  });

  test('corrupt records are INTERNAL errors naming the key', () => {
    const bad = [
      Buffer.from('nope'),
      Buffer.from('{"txid":"other","writes":[]}'),
      Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(encodeIntent(intent)).toString()), state: 'maybe' })),
    ];
    for (const body of bad)
      expect(() => decodeIntent(body, 't1')).toThrow(expect.objectContaining({ kind: 'internal', metadata: { key: '_txn/intents/t1' } }));
  });

  test('create is once per txid; a transition needs the current etag; list finds every record', async () => {
    const store = new IntentStore(new MemoryBlobStore());
    const created = await store.create(intent);
    await expect(store.create(intent)).rejects.toBeInstanceOf(ConditionFailedError);
    const committed = await store.transition(created, 'committed');
    await expect(store.transition(created, 'aborted')).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await store.read('t1'))?.intent.state).toBe('committed');
    await store.create({ ...intent, txid: 't2' });
    expect(await store.list()).toEqual(['t1', 't2']);
    await store.remove('t1');
    expect(await store.read('t1')).toBeUndefined();
    expect(committed.intent.state).toBe('committed');
  });
});
