import { DbError } from '../errors/db-error.js';
import type { IndexDefinition } from '../model/index-def.js';
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
    const port: ExpectedIndexes = { expected: (c) => (c === 'users' ? expected : []), requestReconcile: () => void reconciles++ };
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
});
