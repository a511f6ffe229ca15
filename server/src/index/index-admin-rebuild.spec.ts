import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import { documentKey } from '../format/bucket-layout.js';
import type { CallContext } from '../api/call-context.js';
import type { RebuildIndexesProgress } from '../api/query-api.js';
import type { ListOptions, ListPage } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { IndexAdmin } from './index-admin.js';
import { LocalIndexStore } from './local/local-index-store.js';

const C = 'users';
const ctx: CallContext = { signal: new AbortController().signal };

/** A blob store whose next continued listing, once armed, waits for open(). */
class GatedStore extends MemoryBlobStore {
  private armed = false;
  private release: () => void = () => undefined;
  private arrive: () => void = () => undefined;
  reached: Promise<void> = Promise.resolve();
  arm(): void {
    this.armed = true;
    this.reached = new Promise<void>((r) => (this.arrive = r));
  }
  override async list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    if (this.armed && options.startAfter !== undefined) {
      this.armed = false;
      const gate = new Promise<void>((r) => (this.release = r));
      this.arrive();
      await gate;
    }
    return super.list(options, signal);
  }
  open(): void {
    this.release();
  }
}

describe('IndexAdmin.rebuildIndexes', () => {
  let indexes: LocalIndexStore;
  let blobs: GatedStore;
  let admin: IndexAdmin;

  beforeEach(async () => {
    indexes = new LocalIndexStore();
    blobs = new GatedStore();
    admin = new IndexAdmin({ indexes, store: blobs, build: { pageSize: 2 } });
    for (let i = 0; i < 5; i++) {
      const body = encodeEnvelope({
        meta: { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() },
        data: { s: `v${i}` },
      });
      await blobs.put(documentKey(C, `d${i}`), body);
    }
    await admin.createIndex(ctx, { collection: C, name: 'by_s', kind: 'equality', fields: ['s'] });
    await admin.whenIdle();
    blobs.arm();
  });

  afterEach(async () => {
    await admin.close();
  });

  async function collect(gen: AsyncGenerator<RebuildIndexesProgress, void, undefined>): Promise<RebuildIndexesProgress[]> {
    const out: RebuildIndexesProgress[] = [];
    for await (const p of gen) out.push(p);
    return out;
  }

  it('hides the shadow from ListIndexes and GetIndex while it is built, and swaps it in', async () => {
    const run = collect(admin.rebuildIndexes(ctx, { collection: C }));
    await blobs.reached;
    expect((await indexes.catalog(C)).indexes.map((i) => i.name)).toEqual(['by_s', 'by_s~shadow']);
    expect((await admin.listIndexes(ctx, C)).map((i) => [i.name, i.state])).toEqual([['by_s', 'ready']]);
    expect((await admin.getIndex(ctx, C, 'by_s')).state).toBe('ready');
    expect(admin.notReadyIndexes().get(C)).toBe(0);
    blobs.open();
    const out = await run;
    expect(out.map((p) => [p.index, p.documentsScanned, p.done])).toEqual([
      ['by_s', 2, false],
      ['by_s', 4, false],
      ['by_s', 5, false],
      ['', 0, true],
    ]);
    expect(out[3]?.results).toEqual([{ name: 'by_s', outcome: 'swapped', documentsScanned: 5 }]);
    expect(await indexes.ids(C, { op: 'eq', index: 'by_s', values: ['v3'] })).toEqual(['d3']);
  });

  it('DropIndex during a rebuild drops the shadow too; the rebuild reports the index dropped', async () => {
    const run = collect(admin.rebuildIndexes(ctx, { collection: C, index: 'by_s' }));
    await blobs.reached;
    await admin.dropIndex(ctx, C, 'by_s');
    blobs.open();
    expect((await run).pop()?.results).toMatchObject([{ name: 'by_s', outcome: 'dropped' }]);
    expect((await indexes.catalog(C)).indexes).toEqual([]);
  });
});
