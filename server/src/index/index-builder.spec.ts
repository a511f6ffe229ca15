import { DbError } from '../errors/db-error.js';
import { documentKey } from '../format/bucket-layout.js';
import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import type { IndexDefinition } from '../model/index-def.js';
import type { BlobStore } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { buildCollection } from './index-builder.js';
import { LocalIndexStore } from './local/local-index-store.js';

const def = (name: string, kind: IndexDefinition['kind'], field: string): IndexDefinition => ({
  collection: 'users',
  name,
  kind,
  fields: [field],
});

async function putDoc(store: BlobStore, id: string, data: Record<string, unknown>): Promise<void> {
  const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
  await store.put(documentKey('users', id), encodeEnvelope({ meta, data: data as never }));
}

/** The store, counting document GETs and calling `onGet` before each. */
function counting(blobs: BlobStore, onGet: (n: number) => Promise<void> = async () => undefined): { store: BlobStore; gets: () => number } {
  let gets = 0;
  const store = Object.assign(Object.create(blobs) as BlobStore, {
    get: async (key: string, signal?: AbortSignal) => {
      if (key.startsWith('docs/')) await onGet(++gets);
      return blobs.get(key, signal);
    },
  });
  return { store, gets: () => gets };
}

describe('buildCollection', () => {
  let indexes: LocalIndexStore;
  let blobs: MemoryBlobStore;

  beforeEach(async () => {
    indexes = new LocalIndexStore();
    blobs = new MemoryBlobStore();
    for (let i = 0; i < 30; i++) await putDoc(blobs, `u${String(i).padStart(2, '0')}`, { email: `e${i}`, age: i % 3, score: i });
  });

  const states = async (): Promise<[string, string, number][]> =>
    (await indexes.catalog('users')).indexes.map((i) => [i.name, i.state, i.documentsScanned]);

  it('fills every BUILDING index of the collection in one pass: each document read once, each index READY', async () => {
    await indexes.createIndex(def('by_email', 'unique', 'email'), new Date(0));
    await indexes.createIndex(def('by_age', 'equality', 'age'), new Date(0));
    await indexes.createIndex(def('by_score', 'ordered', 'score'), new Date(0));
    const { store, gets } = counting(blobs);
    const result = await buildCollection({ indexes, store, collection: 'users', pageSize: 7, concurrency: 4 });
    expect(result).toEqual({ outcome: 'done', ready: ['by_age', 'by_email', 'by_score'], failed: [], dropped: [] });
    expect(gets()).toBe(30);
    expect(await states()).toEqual([
      ['by_age', 'ready', 30],
      ['by_email', 'ready', 30],
      ['by_score', 'ready', 30],
    ]);
    expect(await indexes.count('users', { op: 'eq', index: 'by_age', values: [2] })).toBe(10);
    expect(await indexes.ids('users', { op: 'eq', index: 'by_email', values: ['e17'] })).toEqual(['u17']);
    expect(
      await indexes.count('users', { op: 'range', index: 'by_score', range: { type: 'number', lower: { value: 25, inclusive: true } } }),
    ).toBe(5);
  });

  it('fails only the unique index that holds a duplicate; the pass goes on for the others', async () => {
    await putDoc(blobs, 'u99', { email: 'e3', age: 0, score: 99 });
    await indexes.createIndex(def('by_email', 'unique', 'email'), new Date(0));
    await indexes.createIndex(def('by_age', 'equality', 'age'), new Date(0));
    const result = await buildCollection({ indexes, store: blobs, collection: 'users', pageSize: 5, concurrency: 2 });
    expect(result).toMatchObject({ outcome: 'done', ready: ['by_age'], failed: ['by_email'] });
    const email = (await indexes.catalog('users')).indexes.find((i) => i.name === 'by_email');
    expect(email?.state).toBe('failed');
    expect(email?.error).toMatch(/documents "u03" and "u99" hold the same value/);
    expect(await indexes.count('users', { op: 'eq', index: 'by_age', values: [0] })).toBe(11);
  });

  it('leaves READY indexes alone and an index created during the pass BUILDING (not one of its targets)', async () => {
    await indexes.createIndex(def('by_age', 'equality', 'age'), new Date(0));
    await indexes.setIndexState('users', 'by_age', { state: 'ready', documentsScanned: 30 });
    await indexes.createIndex(def('by_score', 'ordered', 'score'), new Date(0));
    const { store } = counting(blobs, async (n) => {
      if (n === 10) await indexes.createIndex(def('by_email', 'unique', 'email'), new Date(1));
    });
    const result = await buildCollection({ indexes, store, collection: 'users', pageSize: 5, concurrency: 1 });
    expect(result).toEqual({ outcome: 'done', ready: ['by_score'], failed: [], dropped: [] });
    expect((await states()).map(([n, s]) => [n, s])).toEqual([
      ['by_age', 'ready'],
      ['by_email', 'building'],
      ['by_score', 'ready'],
    ]);
  });

  it('drops a target dropped or recreated meanwhile and never marks the new one READY; the others finish', async () => {
    await indexes.createIndex(def('by_age', 'equality', 'age'), new Date(0));
    await indexes.createIndex(def('by_score', 'ordered', 'score'), new Date(0));
    const { store } = counting(blobs, async (n) => {
      if (n !== 3) return;
      await indexes.dropIndex('users', 'by_age');
      await indexes.createIndex(def('by_age', 'equality', 'age'), new Date(5));
    });
    const result = await buildCollection({ indexes, store, collection: 'users', pageSize: 5, concurrency: 1 });
    expect(result).toEqual({ outcome: 'done', ready: ['by_score'], failed: [], dropped: ['by_age'] });
    expect((await states()).map(([n, s]) => [n, s])).toEqual([
      ['by_age', 'building'],
      ['by_score', 'ready'],
    ]);
  });

  it('stops on a backend outage with every target still BUILDING (resumed later, not FAILED)', async () => {
    await indexes.createIndex(def('by_email', 'unique', 'email'), new Date(0));
    await indexes.createIndex(def('by_age', 'equality', 'age'), new Date(0));
    const { store } = counting(blobs, async (n) => {
      if (n === 12) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'storage down');
    });
    const result = await buildCollection({ indexes, store, collection: 'users', pageSize: 5, concurrency: 3 });
    expect(result).toMatchObject({ outcome: 'aborted', ready: [], failed: [] });
    expect((await states()).map(([n, s, scanned]) => [n, s, scanned])).toEqual([
      ['by_age', 'building', 10],
      ['by_email', 'building', 10],
    ]);
    // Resumed: a new pass ends READY.
    expect((await buildCollection({ indexes, store: blobs, collection: 'users' })).ready).toEqual(['by_age', 'by_email']);
  });

  it('does nothing (no listing) when no index is BUILDING', async () => {
    let lists = 0;
    const store = Object.assign(Object.create(blobs) as BlobStore, {
      list: async (...args: Parameters<BlobStore['list']>) => {
        lists++;
        return blobs.list(...args);
      },
    });
    expect(await buildCollection({ indexes, store, collection: 'users' })).toEqual({ outcome: 'done', ready: [], failed: [], dropped: [] });
    expect(lists).toBe(0);
  });
});
