/**
 * Ids refused since control/separator/bidi characters and non-NFC spellings
 * became invalid: documents stored under such ids by an older server stay
 * listable and deletable (Delete, BatchDelete, Commit delete), while reads
 * and writes of them are INVALID_ID.
 */
import { DbError } from '../errors/db-error.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DocumentEngine } from './document-engine.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { documentKey } from '../format/bucket-layout.js';

const ctx = { signal: new AbortController().signal };
const LEGACY = ['Cafe\u0301', 'a\u0085b', 'x\u2028y', '\u202Eabc'];

async function withLegacyDocs(): Promise<{ store: MemoryBlobStore; engine: DocumentEngine }> {
  const store = new MemoryBlobStore();
  const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, pageTokenSecret: 's' });
  await engine.put(ctx, { collection: 'c', id: 'template', data: { v: 1 } });
  const body = (await store.get(documentKey('c', 'template')))!.body;
  // What an older server wrote: the same envelope under an id that is refused today.
  for (const id of LEGACY) await store.put(documentKey('c', id), body);
  return { store, engine };
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return `${e.reason}:${e.field}`;
}

describe('documents stored under ids refused today', () => {
  it('are listed, refused by reads and writes, and deleted by Delete', async () => {
    const { store, engine } = await withLegacyDocs();
    const listed = (await engine.list(ctx, { collection: 'c', keysOnly: true })).documents.map((d) => d.id);
    expect(listed).toEqual(expect.arrayContaining(LEGACY));
    for (const id of LEGACY) {
      expect(await reasonOf(engine.get(ctx, 'c', id))).toBe('INVALID_ID:id');
      expect(await reasonOf(engine.put(ctx, { collection: 'c', id, data: {} }))).toBe('INVALID_ID:id');
      expect(await engine.delete(ctx, { collection: 'c', id })).toBe(true);
      expect(await store.get(documentKey('c', id))).toBeUndefined();
    }
  });

  it('are deleted by BatchDelete and by a Commit delete, but not set by a Commit', async () => {
    const { store, engine } = await withLegacyDocs();
    const [first, second, third] = LEGACY as [string, string, string];
    const outcomes = await engine.batchDelete(ctx, 'c', [{ id: first }]);
    expect(outcomes[0]).toMatchObject({ id: first, deleted: true });
    await engine.commit(ctx, { writes: [{ collection: 'c', id: second, op: 'delete' }] });
    expect(await store.get(documentKey('c', second))).toBeUndefined();
    expect(await reasonOf(engine.commit(ctx, { writes: [{ collection: 'c', id: third, op: 'set', data: {} }] }))).toBe(
      'INVALID_ID:writes[0].id',
    );
  });
});
