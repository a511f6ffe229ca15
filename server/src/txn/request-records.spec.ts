import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { REQUEST_TTL_MS, requestHash, RequestRecords } from './request-records.js';
import { fingerprintOf } from './commit-input.js';
import { systemClock } from '../common/clock.js';

const result = {
  results: [{ collection: 'c', id: 'a', etag: 'e', version: 2 }],
  transactionId: 't1',
  commitTime: new Date('2026-11-26T12:00:00Z'),
};

describe('request records', () => {
  test('a record is found until it is 10 minutes old, completed only for its own transaction, and swept after', async () => {
    const store = new MemoryBlobStore();
    let clock = Date.parse('2026-11-26T12:00:00Z');
    const records = new RequestRecords(store, { ...systemClock, now: () => clock, date: () => new Date(clock) });
    const hash = requestHash('req-1');
    const key = records.keyFor(hash);
    expect(key).toMatch(/^_txn\/requests\/\d{10}\/[0-9a-f]{64}$/);
    await records.write(key, { fingerprint: 'f', txid: 't1', createTime: new Date(clock) });
    await records.complete(key, 'other-txn', result);
    expect((await records.find(hash))?.record.result).toBeUndefined();
    await records.complete(key, 't1', result);
    expect(await records.find(hash)).toEqual({ key, record: expect.objectContaining({ result }) });
    clock += REQUEST_TTL_MS - 1; // 1 ms short of 10 minutes: still found
    expect((await records.find(hash))?.key).toBe(key);
    expect(await records.sweep()).toBe(0);
    clock += 2;
    expect(await records.find(hash)).toBeUndefined(); // too old, though its window is not swept yet
    expect(await records.sweep()).toBe(0);
    await records.write(records.keyFor(requestHash('req-2')), { fingerprint: 'g', txid: 't2', createTime: new Date(clock) });
    clock += REQUEST_TTL_MS; // two windows on: req-1's window is swept, req-2's (the previous one) kept
    expect(await records.sweep()).toBe(1);
    expect((await store.list({ prefix: '_txn/', limit: 10 })).keys).toHaveLength(1);
    clock += REQUEST_TTL_MS;
    expect(await records.sweep()).toBe(1);
    expect((await store.list({ prefix: '_txn/', limit: 10 })).keys).toEqual([]);
  });

  test('the fingerprint tells a faithful retry from other writes', () => {
    const writes = [{ collection: 'c', id: 'a', op: 'set' as const, data: { n: 1 }, precondition: { etag: 'e' } }];
    expect(fingerprintOf(writes)).toBe(fingerprintOf([{ ...writes[0]!, data: { n: 1 } }]));
    expect(fingerprintOf(writes)).not.toBe(fingerprintOf([{ ...writes[0]!, data: { n: 2 } }]));
    expect(fingerprintOf(writes)).not.toBe(fingerprintOf([{ ...writes[0]!, precondition: { etag: 'f' } }]));
    expect(fingerprintOf(writes)).not.toBe(fingerprintOf([{ ...writes[0]!, op: 'check' as const, data: undefined }]));
  });
});
