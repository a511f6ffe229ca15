import { ManualClock } from '../common/manual-clock.js';
import { DbError } from '../errors/db-error.js';
import type { IndexDefinition } from '../model/index-def.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DurableCatalog } from './durable-catalog.js';
import { KnownDefinitions } from './known-definitions.js';
import { LocalIndexStore } from './local/local-index-store.js';
import type { ExpectedIndexes } from './index-readiness.js';
import { IndexWriteHooks } from './write-hooks.js';

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

const emailDef: IndexDefinition = { collection: 'users', name: 'email', kind: 'unique', fields: ['email'] };

describe('IndexWriteHooks: the unique guard while an index is not READY', () => {
  let store: LocalIndexStore;
  let reconciles: number;
  let expected: IndexDefinition[];
  let hooks: IndexWriteHooks;

  beforeEach(() => {
    store = new LocalIndexStore();
    reconciles = 0;
    expected = [emailDef];
    const port: ExpectedIndexes = {
      definitionsFor: async (c) => (c === 'users' ? expected : []),
      requestReconcile: () => void reconciles++,
    };
    hooks = new IndexWriteHooks(store, { expected: port, notReadyRetryMs: 250 });
  });

  it('refuses a write setting the field of a BUILDING unique index: UNAVAILABLE / INDEX_NOT_READY with a retry delay', async () => {
    await store.createIndex(emailDef, new Date());
    const e = await errorOf(hooks.prepare('users', 'a', { email: 'a@x' }));
    expect([e.kind, e.reason, e.metadata, e.retryDelayMs]).toEqual([
      'unavailable',
      'INDEX_NOT_READY',
      { collection: 'users', index: 'email' },
      250,
    ]);
    expect(reconciles).toBe(0);
  });

  it('refuses it when the store lacks the durable definition (Redis lost it), and asks for a reconcile', async () => {
    const e = await errorOf(hooks.prepare('users', 'a', { email: 'a@x' }));
    expect(e.reason).toBe('INDEX_NOT_READY');
    expect(reconciles).toBe(1);
  });

  it('lets through deletes, writes without the field, and every write once the index is READY', async () => {
    await store.createIndex(emailDef, new Date());
    await expect(hooks.prepare('users', 'a', null)).resolves.toMatchObject({ id: 'a' });
    await expect(hooks.prepare('users', 'a', { name: 'x' })).resolves.toMatchObject({ id: 'a' });
    await store.setIndexState('users', 'email', { state: 'ready' });
    const p = await hooks.prepare('users', 'a', { email: 'a@x' });
    await hooks.commit(p);
    expect((await errorOf(hooks.prepare('users', 'b', { email: 'a@x' }))).reason).toBe('UNIQUE_VIOLATION');
  });

  describe('on a store that can lose its catalogs (Redis), for a server that never saw the index', () => {
    let durable: DurableCatalog;
    let generation: string;
    let guarded: IndexWriteHooks;

    beforeEach(async () => {
      durable = new DurableCatalog(new MemoryBlobStore());
      // This server read the durable definitions before the index existed: its copy knows nothing of "users".
      const known = new KnownDefinitions(durable, new ManualClock({ startMs: 0 }));
      await known.current();
      generation = 'g1';
      const redisLike = Object.assign(Object.create(store) as LocalIndexStore, {
        catalog: async (c: string) => ({
          ...(await store.catalog(c)),
          generation: (await store.catalog(c)).indexes.length > 0 ? generation : '',
        }),
        recordNoIndexes: async () => generation,
      });
      const port: ExpectedIndexes = {
        definitionsFor: (c, catalog) => known.forCatalog(c, catalog, () => redisLike.recordNoIndexes()),
        requestReconcile: () => undefined,
      };
      guarded = new IndexWriteHooks(redisLike, { expected: port });
      // Another server's CreateIndex: durable definition first, then the store.
      await durable.add(emailDef);
      await store.createIndex(emailDef, new Date());
      await store.setIndexState('users', 'email', { state: 'ready' });
    });

    it('refuses a write while the store has lost the catalog (Redis restarted empty), though it never wrote there before', async () => {
      await store.dropIndex('users', 'email');
      const e = await errorOf(guarded.prepare('users', 'dup', { email: 'a@x' }));
      expect([e.reason, e.metadata]).toEqual(['INDEX_NOT_READY', { collection: 'users', index: 'email' }]);
    });

    it('refuses it while a restore is halfway (the recreated catalog has another index, not yet the unique one)', async () => {
      await durable.add({ collection: 'users', name: 'by_name', kind: 'equality', fields: ['name'] });
      await store.dropIndex('users', 'email');
      generation = 'g2'; // the restore recreated the catalog...
      await store.createIndex({ collection: 'users', name: 'by_name', kind: 'equality', fields: ['name'] }, new Date()); // ...one index so far
      const e = await errorOf(guarded.prepare('users', 'dup', { name: 'n', email: 'a@x' }));
      expect(e.reason).toBe('INDEX_NOT_READY');
    });

    it('checks the write against the unique index once the store holds it READY again', async () => {
      await guarded.commit(await guarded.prepare('users', 'a', { email: 'a@x' }));
      expect((await errorOf(guarded.prepare('users', 'dup', { email: 'a@x' }))).reason).toBe('UNIQUE_VIOLATION');
    });
  });
});
