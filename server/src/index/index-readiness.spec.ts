import type { IndexDefinition, IndexInfo } from '../model/index-def.js';
import { indexNotReady, indexesWithMissing, NOT_READY_RETRY_MS, uniqueNotReady } from './index-readiness.js';
import type { IndexCatalog } from './index-store.js';

const info = (name: string, kind: IndexInfo['kind'], state: IndexInfo['state'], field = name): IndexInfo => ({
  collection: 'users',
  name,
  kind,
  fields: [field],
  state,
  documentsScanned: 0,
  createTime: new Date(1000),
});
const def = (name: string, kind: IndexDefinition['kind'], field = name): IndexDefinition => ({
  collection: 'users',
  name,
  kind,
  fields: [field],
});
const catalog = (...indexes: IndexInfo[]): IndexCatalog => ({ version: 1, indexes });

describe('indexesWithMissing', () => {
  it("leaves out shadow indexes (an online rebuild's hidden copy): a BUILDING unique shadow blocks no write", () => {
    const cat = catalog(info('email', 'unique', 'ready'), info('email~shadow', 'unique', 'building', 'email'));
    expect(indexesWithMissing(cat, [def('email', 'unique')]).all.map((i) => i.name)).toEqual(['email']);
    expect(uniqueNotReady(cat, [def('email', 'unique')], { email: 'a@x' })).toBeUndefined();
  });

  it('adds the expected definitions the catalog lacks, as BUILDING, and counts them', () => {
    const { all, missing } = indexesWithMissing(catalog(info('email', 'unique', 'ready')), [def('email', 'unique'), def('age', 'ordered')]);
    expect(missing).toBe(1);
    expect(all.map((i) => [i.name, i.state])).toEqual([
      ['age', 'building'],
      ['email', 'ready'],
    ]);
  });
});

describe('uniqueNotReady (the write guard)', () => {
  it('names a BUILDING unique index the document gives a value to', () => {
    expect(uniqueNotReady(catalog(info('email', 'unique', 'building')), [], { email: 'a@x' })?.name).toBe('email');
  });

  it('names a unique index storage defines but the store lacks (Redis lost it)', () => {
    expect(uniqueNotReady(catalog(), [def('email', 'unique')], { email: 'a@x' })?.name).toBe('email');
  });

  it('lets through documents without the field, READY and FAILED unique indexes, and non-unique BUILDING ones', () => {
    expect(uniqueNotReady(catalog(info('email', 'unique', 'building')), [], { name: 'a' })).toBeUndefined();
    expect(uniqueNotReady(catalog(info('email', 'unique', 'ready')), [def('email', 'unique')], { email: 'a@x' })).toBeUndefined();
    expect(uniqueNotReady(catalog(info('email', 'unique', 'failed')), [], { email: 'a@x' })).toBeUndefined();
    expect(uniqueNotReady(catalog(info('status', 'equality', 'building')), [def('age', 'ordered')], { status: 1, age: 2 })).toBeUndefined();
  });
});

describe('indexNotReady', () => {
  it('is UNAVAILABLE / INDEX_NOT_READY with the index in its metadata and a retry delay', () => {
    const e = indexNotReady('users', 'email', 'it is being built');
    expect([e.kind, e.reason, e.metadata, e.retryDelayMs]).toEqual([
      'unavailable',
      'INDEX_NOT_READY',
      { collection: 'users', index: 'email' },
      NOT_READY_RETRY_MS,
    ]);
    expect(e.message).toContain('users/email');
  });
});
