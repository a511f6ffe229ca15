import { isDbError } from '../errors/db-error.js';
import { decodeEnvelope, encodeEnvelope, expiredAt, newWriteId, SCHEMA_VERSION } from './envelope.js';

const meta = {
  version: 3,
  createTime: new Date('2026-01-02T03:04:05.678Z'),
  updateTime: new Date('2026-02-03T04:05:06.789Z'),
  writeId: 'abc123',
};

function bodyOf(obj: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(obj), 'utf8');
}

describe('envelope', () => {
  it('encodes plain JSON with the header under "smarterbase" and the data under "data"', () => {
    const body = encodeEnvelope({ meta, data: { name: 'Ada', n: 1, nested: { list: [1, 'x', null, true] } } });
    expect(JSON.parse(Buffer.from(body).toString('utf8'))).toEqual({
      smarterbase: {
        schemaVersion: SCHEMA_VERSION,
        version: 3,
        createTime: '2026-01-02T03:04:05.678Z',
        updateTime: '2026-02-03T04:05:06.789Z',
        writeId: 'abc123',
      },
      data: { name: 'Ada', n: 1, nested: { list: [1, 'x', null, true] } },
    });
  });

  it('round-trips', () => {
    const data = { a: { b: [1.5, -2, 'é😀'] } };
    expect(decodeEnvelope(encodeEnvelope({ meta, data }), 'k')).toEqual({ meta, data });
  });

  it('round-trips an expire time, stored as ISO under smarterbase.expireTime', () => {
    const expiring = { ...meta, expireTime: new Date('2030-01-02T03:04:05.678Z') };
    const body = encodeEnvelope({ meta: expiring, data: {} });
    expect(JSON.parse(Buffer.from(body).toString('utf8')).smarterbase.expireTime).toBe('2030-01-02T03:04:05.678Z');
    expect(decodeEnvelope(body, 'k').meta.expireTime).toEqual(expiring.expireTime);
    expect(expiredAt(expiring, expiring.expireTime.getTime() - 1)).toBe(false);
    expect(expiredAt(expiring, expiring.expireTime.getTime())).toBe(true);
    expect(expiredAt({}, Number.MAX_SAFE_INTEGER)).toBe(false);
    const bad = Buffer.from(
      JSON.stringify({ smarterbase: { ...JSON.parse(Buffer.from(body).toString('utf8')).smarterbase, expireTime: 'soon' }, data: {} }),
    );
    expect(() => decodeEnvelope(bad, 'k')).toThrow(/expireTime/);
  });

  it('gives identical data different bodies through the random writeId', () => {
    const a = encodeEnvelope({ meta: { ...meta, writeId: newWriteId() }, data: { x: 1 } });
    const b = encodeEnvelope({ meta: { ...meta, writeId: newWriteId() }, data: { x: 1 } });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(newWriteId()).toMatch(/^[0-9a-f]{32}$/);
  });

  const good = JSON.parse(Buffer.from(encodeEnvelope({ meta, data: {} })).toString('utf8')) as {
    smarterbase: Record<string, unknown>;
    data: unknown;
  };
  it.each<[string, unknown]>([
    ['not JSON', null],
    ['an array', []],
    ['no header', { data: {} }],
    ['schemaVersion 2', { ...good, smarterbase: { ...good.smarterbase, schemaVersion: 2 } }],
    ['version 0', { ...good, smarterbase: { ...good.smarterbase, version: 0 } }],
    ['version 1.5', { ...good, smarterbase: { ...good.smarterbase, version: 1.5 } }],
    ['bad createTime', { ...good, smarterbase: { ...good.smarterbase, createTime: 'yesterday' } }],
    ['no writeId', { ...good, smarterbase: { ...good.smarterbase, writeId: undefined } }],
    ['data an array', { ...good, data: [1] }],
    ['data missing', { smarterbase: good.smarterbase }],
  ])('rejects a corrupt body (%s) as INTERNAL_ERROR naming the key', (_name, obj) => {
    const body = obj === null ? Buffer.from('{not json', 'utf8') : bodyOf(obj);
    let err: unknown;
    try {
      decodeEnvelope(body, 'docs/c/x');
    } catch (e) {
      err = e;
    }
    expect(isDbError(err, 'INTERNAL_ERROR')).toBe(true);
    expect((err as { kind: string }).kind).toBe('internal');
    expect((err as { metadata: Record<string, string> }).metadata.key).toBe('docs/c/x');
  });
});
