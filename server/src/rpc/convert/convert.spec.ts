import { isDbError } from '../../errors/db-error.js';
import { fromTimestamp, requireData, toProtoDocument, toProtoListed, toTimestamp } from './convert.js';

describe('convert', () => {
  const doc = {
    collection: 'c',
    id: 'i',
    data: { a: 1, b: [true, null, 'x'], o: { n: -2.5 } },
    etag: 'e',
    version: 3,
    createTime: new Date('2026-01-02T03:04:05.678Z'),
    updateTime: new Date('2026-02-03T04:05:06.789Z'),
    revision: 1_780_000_000_000_123,
  };

  test('Timestamp ⇄ Date keeps milliseconds', () => {
    const t = toTimestamp(doc.createTime);
    expect(t.seconds).toBe(BigInt(Math.floor(doc.createTime.getTime() / 1000)));
    expect(t.nanos).toBe(678_000_000);
    expect(fromTimestamp(t).toISOString()).toBe('2026-01-02T03:04:05.678Z');
  });

  test('a stored document becomes a proto Document', () => {
    const p = toProtoDocument(doc);
    expect(p).toMatchObject({ collection: 'c', id: 'i', data: doc.data, etag: 'e', version: 3n });
    expect(p.revision).toBe(1_780_000_000_000_123n);
    expect(fromTimestamp(p.updateTime!).toISOString()).toBe('2026-02-03T04:05:06.789Z');
  });

  test('a keys-only listing entry has only collection and id', () => {
    const p = toProtoListed({ collection: 'c', id: 'k' });
    expect(p).toMatchObject({ collection: 'c', id: 'k', etag: '', version: 0n });
    expect(p.data).toBeUndefined();
    expect(toProtoListed(doc).etag).toBe('e');
  });

  test('requireData: objects pass, a missing Struct is INVALID_ARGUMENT on "data"', () => {
    expect(requireData({ a: 1 })).toEqual({ a: 1 });
    expect(requireData({})).toEqual({});
    let err: unknown;
    try {
      requireData(undefined);
    } catch (e) {
      err = e;
    }
    expect(isDbError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as { field?: string }).field).toBe('data');
  });
});
