import { nextMeta, toDocument } from './write-results.js';

describe('write results', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const created = new Date('2029-01-01T00:00:00Z');

  it('numbers a new version after the old one, or from 1, and keeps its expiry', () => {
    const old = { version: 4, createTime: created, seq: 9 };
    expect(nextMeta(old, now, 10)).toMatchObject({ version: 5, createTime: created, updateTime: now, seq: 10 });
    const fresh = nextMeta(undefined, now, undefined, new Date(5));
    expect(fresh).toMatchObject({ version: 1, createTime: now, expireTime: new Date(5) });
    expect('seq' in fresh).toBe(false);
    expect('expireTime' in nextMeta(old, now)).toBe(false); // expiry belongs to a version: not carried forward
  });

  it('gives the API form its expire time only when the version has one', () => {
    const meta = nextMeta(undefined, now, 3, new Date(7));
    expect(toDocument('c', 'd', {}, 'e', meta)).toMatchObject({ revision: 3, expireTime: new Date(7) });
    expect('expireTime' in toDocument('c', 'd', {}, 'e', nextMeta(undefined, now))).toBe(false);
  });
});
