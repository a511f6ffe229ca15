import { isDbError } from '../../server/src/errors/db-error.js';
import { parseFilter } from '../../server/src/query/parse-filter.js';
import type { BlobStore } from '../../server/src/storage/blob-store.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { ctx, ids, QueryBench, run } from './query-fixture.js';

const asc = (field: string) => ({ field, direction: 'asc' as const });
const desc = (field: string) => ({ field, direction: 'desc' as const });
const pad = (i: number): string => `d${String(i).padStart(2, '0')}`;

async function tenDocs(withIndex: boolean): Promise<QueryBench> {
  const b = new QueryBench();
  if (withIndex) {
    await b.index('by_n', 'ordered', ['n']);
    await b.index('by_group', 'equality', ['group']);
  }
  // ids in an order unrelated to n
  for (let n = 1; n <= 10; n++) await b.put(idOf(n), { n, group: n % 2 === 0 ? 'even' : 'odd' });
  return b;
}

describe('QueryEngine', () => {
  describe.each([
    ['with an ordered index', true],
    ['by scan and in-memory sort', false],
  ])('%s', (_name, withIndex) => {
    it('applies filter → sort → offset → limit: order by n, offset 3, limit 3 → n = 4, 5, 6', async () => {
      const b = await tenDocs(withIndex);
      const { items } = await run(b.engine(), { orderBy: [asc('n')], offset: 3, limit: 3 });
      expect(items.map((i) => i.document.data.n)).toEqual([4, 5, 6]);
    });

    it('filters before offset: odd n descending, offset 1, limit 2 → 7, 5', async () => {
      const b = await tenDocs(withIndex);
      const { items } = await run(b.engine(), { filter: parseFilter('group = "odd"'), orderBy: [desc('n')], offset: 1, limit: 2 });
      expect(items.map((i) => i.document.data.n)).toEqual([7, 5]);
    });

    it('puts documents missing the sort field last in both directions, after other types', async () => {
      const b = await tenDocs(withIndex);
      await b.put('zz-missing', { group: 'odd' });
      await b.put('aa-missing', { group: 'odd' });
      await b.put('str', { n: 'text' });
      await b.put('bool', { n: true });
      await b.put('arr', { n: [1] });
      const up = (await run(b.engine(), { orderBy: [asc('n')] })).items.map((i) => i.document.data.n ?? i.document.id);
      expect(up).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 'text', true, [1], 'aa-missing', 'zz-missing']);
      const down = (await run(b.engine(), { orderBy: [desc('n')] })).items.map((i) => i.document.data.n ?? i.document.id);
      expect(down).toEqual(['text', 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, [1], true, 'aa-missing', 'zz-missing']);
    });

    it('resumes after a token and ignores the offset then', async () => {
      const b = await tenDocs(withIndex);
      const e = b.engine();
      const first = await run(e, { orderBy: [desc('n')], offset: 2, limit: 3 });
      expect(first.items.map((i) => i.document.data.n)).toEqual([8, 7, 6]);
      const token = first.items[2]?.resumeToken as string;
      const next = await run(e, { orderBy: [desc('n')], offset: 2, limit: 3, startAfter: token });
      expect(next.items.map((i) => i.document.data.n)).toEqual([5, 4, 3]);
    });

    it('applies the projection last', async () => {
      const b = await tenDocs(withIndex);
      const { items } = await run(b.engine(), { orderBy: [asc('n')], limit: 1, projection: ['group'] });
      expect(items[0]?.document.data).toEqual({ group: 'odd' });
    });
  });

  it('orders by id when there is no order_by, with or without an index', async () => {
    const b = await tenDocs(true);
    const all = await ids(b.engine(), {});
    expect(all).toEqual([...all].sort());
    const even = [2, 4, 6, 8, 10].map(idOf).sort();
    expect(even).toEqual(['id-1', 'id-3', 'id-4', 'id-6', 'id-9']);
    expect(await ids(b.engine(), { filter: parseFilter('group = "even"') })).toEqual(even);
  });

  it('breaks ties by later terms, then by id', async () => {
    const b = new QueryBench();
    await b.index('by_g', 'ordered', ['g']);
    await b.put('c', { g: 1, h: 1 });
    await b.put('a', { g: 1, h: 1 });
    await b.put('b', { g: 1, h: 2 });
    await b.put('d', { g: 0, h: 0 });
    expect(await ids(b.engine(), { orderBy: [asc('g'), desc('h')] })).toEqual(['d', 'b', 'a', 'c']);
    expect(await ids(b.engine(), { orderBy: [desc('g')] })).toEqual(['a', 'b', 'c', 'd']);
  });

  it('drops index hits that no longer match or were deleted, and counts them', async () => {
    const b = await tenDocs(true);
    // the blobs change but the indexes are not told (a write still in flight)
    await b.putBlob(idOf(2), { n: 2, group: 'odd' }); // the index still says even
    await b.store.delete(`docs/items/${idOf(4)}`); // the index still has it
    const e = b.engine();
    for (const orderBy of [[asc('n')], [desc('n')], [asc('other')], []]) {
      const res = await run(e, { filter: parseFilter('group = "even"'), orderBy });
      expect(res.items.map((i) => i.document.data.n).sort((x, y) => Number(x) - Number(y))).toEqual([6, 8, 10]);
      expect(res.summary.skippedResults).toBe(2);
    }
    const res = await run(e, { filter: parseFilter('group = "even"'), orderBy: [asc('n')] });
    expect(res.items.map((i) => [i.document.data.n, i.skippedResults])).toEqual([
      [6, 2],
      [8, 2],
      [10, 2],
    ]);
  });

  it('drops a walked document whose sort value moved behind what was sent (stale order entry)', async () => {
    const b = new QueryBench();
    await b.index('by_n', 'ordered', ['n']);
    for (let n = 1; n <= 5; n++) await b.put(`d${n}`, { n });
    await b.putBlob('d4', { n: 0 }); // the index still says 4
    const res = await run(b.engine(), { orderBy: [asc('n')] });
    expect(res.items.map((i) => i.document.data.n)).toEqual([1, 2, 3, 5]);
    expect(res.summary.skippedResults).toBe(1);
  });

  it('counts from the index alone when the plan is exact, and by fetching otherwise', async () => {
    const b = await tenDocs(true);
    const e = b.engine();
    expect(await e.count(ctx(), { collection: 'items', filter: parseFilter('group = "even" AND n > 4') })).toEqual({
      count: 3,
      storageRequests: 0,
    });
    expect(await e.count(ctx(), { collection: 'items', filter: parseFilter('group = "even" AND NOT n = 4') })).toEqual({
      count: 4,
      storageRequests: 5,
    });
    const scan = await e.count(ctx(), { collection: 'items', filter: parseFilter('n != 3') });
    expect(scan.count).toBe(9);
    expect(scan.storageRequests).toBe(11); // one list page + ten gets
    expect(await e.count(ctx(), { collection: 'items' })).toEqual({ count: 10, storageRequests: 1 });
  });

  it('counts what the index says, stale entries included, when the plan is exact', async () => {
    const b = await tenDocs(true);
    await b.putBlob(idOf(2), { n: 2, group: 'odd' });
    const r = await b.engine().count(ctx(), { collection: 'items', filter: parseFilter('group = "even"') });
    expect(r).toEqual({ count: 5, storageRequests: 0 });
  });

  it('fails with INDEX_REQUIRED instead of scanning when asked', async () => {
    const b = await tenDocs(true);
    const e = b.engine();
    const err = await run(e, { filter: parseFilter('other = 1'), requireIndex: true }).catch((x: unknown) => x);
    expect(isDbError(err, 'INDEX_REQUIRED')).toBe(true);
    expect((err as { metadata: Record<string, string> }).metadata).toEqual({
      collection: 'items',
      suggestedIndex: 'an equality index on (other)',
    });
    expect((await run(e, { filter: parseFilter('group = "odd"'), requireIndex: true })).items).toHaveLength(5);
    await expect(e.count(ctx(), { collection: 'items', filter: parseFilter('other = 1'), requireIndex: true })).rejects.toMatchObject({
      reason: 'INDEX_REQUIRED',
    });
  });

  it('never takes candidates from a BUILDING index: scans, or with require_index fails INDEX_NOT_READY with a retry delay', async () => {
    const b = new QueryBench();
    await b.indexes.createIndex({ collection: 'items', name: 'by_group', kind: 'equality', fields: ['group'] }, new Date());
    // Only some documents are in the index so far (it is being built): its candidates would be incomplete.
    for (let i = 0; i < 6; i++) await (i < 2 ? b.put(`d${i}`, { group: 'g' }) : b.putBlob(`d${i}`, { group: 'g' }));
    const e = b.engine();
    expect(await ids(e, { filter: parseFilter('group = "g"') })).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
    const err = await run(e, { filter: parseFilter('group = "g"'), requireIndex: true }).catch((x: unknown) => x);
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'INDEX_NOT_READY', metadata: { collection: 'items', index: 'by_group' } });
    expect((err as { retryDelayMs?: number }).retryDelayMs).toBeGreaterThan(0);
    await expect(e.count(ctx(), { collection: 'items', filter: parseFilter('group = "g"'), requireIndex: true })).rejects.toMatchObject({
      reason: 'INDEX_NOT_READY',
    });
    const plan = await e.explain(ctx(), { collection: 'items', filter: parseFilter('group = "g"'), requireIndex: true });
    expect([plan.scan, plan.indexesUsed]).toEqual([true, []]);
    expect(plan.description).toContain('index by_group would serve it but is not READY');
    expect(plan.description).toContain('INDEX_NOT_READY');
  });

  it('counts an index storage defines but the store lacks (Redis lost it) as BUILDING, and asks for a reconcile', async () => {
    const b = new QueryBench();
    await b.put('d0', { group: 'g' });
    let asked = 0;
    const expected = {
      definitionsFor: async () => [{ collection: 'items', name: 'by_group', kind: 'equality' as const, fields: ['group'] }],
      requestReconcile: () => void asked++,
    };
    const e = b.engine({ expected });
    expect(await ids(e, { filter: parseFilter('group = "g"') })).toEqual(['d0']);
    await expect(run(e, { filter: parseFilter('group = "g"'), requireIndex: true })).rejects.toMatchObject({ reason: 'INDEX_NOT_READY' });
    expect(asked).toBeGreaterThan(0);
  });

  it('bounds in-memory sorts without a limit', async () => {
    const b = await tenDocs(false);
    const e = b.engine({ maxSortBuffer: 5 });
    await expect(run(e, { orderBy: [asc('n')] })).rejects.toMatchObject({ reason: 'INDEX_REQUIRED', kind: 'failed_precondition' });
    // with a limit only offset + limit are kept
    expect((await run(e, { orderBy: [asc('n')], offset: 2, limit: 2 })).items.map((i) => i.document.data.n)).toEqual([3, 4]);
    // offset + limit above the buffer would keep as much as no limit
    await expect(run(e, { orderBy: [asc('n')], offset: 2, limit: 4 })).rejects.toMatchObject({ reason: 'INDEX_REQUIRED' });
  });

  it('keeps only offset + limit of a long tail of documents the ordered index does not hold', async () => {
    const b = new QueryBench();
    await b.index('by_n', 'ordered', ['n']);
    await b.put('has-n', { n: 1 });
    for (let i = 0; i < 20; i++) await b.put(pad(i), { other: i });
    const e = b.engine({ maxSortBuffer: 5 });
    expect(await ids(e, { orderBy: [asc('n')], offset: 1, limit: 3 })).toEqual(['d00', 'd01', 'd02']);
    await expect(run(e, { orderBy: [asc('n')] })).rejects.toMatchObject({ reason: 'INDEX_REQUIRED' });
  });

  it('explains plans', async () => {
    const b = await tenDocs(true);
    const e = b.engine();
    const p = await e.explain(ctx(), { collection: 'items', filter: parseFilter('group = "even" AND other : "x"'), orderBy: [asc('n')] });
    expect(p).toMatchObject({
      indexesUsed: ['by_group', 'by_n'],
      candidateCount: 5,
      storageRequests: 5,
      scan: false,
      sortedByIndex: true,
      residualFilter: 'contains(other, "x")',
    });
    const s = await e.explain(ctx(), { collection: 'items', filter: parseFilter('other = 1') });
    expect(s).toMatchObject({
      indexesUsed: [],
      candidateCount: 10,
      storageRequests: 11,
      scan: true,
      sortedByIndex: false,
      residualFilter: 'other = 1',
    });
    const exact = await e.explain(ctx(), { collection: 'items', filter: parseFilter('n >= 3') });
    expect(exact.residualFilter).toBe('');
    expect(exact.candidateCount).toBe(8);
    const limited = await e.explain(ctx(), {
      collection: 'items',
      filter: parseFilter('n >= 3'),
      orderBy: [asc('n')],
      offset: 1,
      limit: 2,
    });
    expect(limited).toMatchObject({ candidateCount: 8, storageRequests: 3, sortedByIndex: true });
  });

  it('rejects malformed requests', async () => {
    const b = await tenDocs(true);
    const e = b.engine();
    await expect(run(e, { limit: -1 })).rejects.toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'limit' });
    await expect(run(e, { startAfter: 'nope' })).rejects.toMatchObject({ reason: 'INVALID_PAGE_TOKEN' });
    await expect(run(e, { filter: { kind: 'and', filters: [] } })).rejects.toMatchObject({ reason: 'INVALID_FILTER', field: 'filter' });
    await expect(run(e, { collection: 'bad/name' })).rejects.toMatchObject({ reason: 'INVALID_COLLECTION' });
  });

  it('fetches with bounded concurrency and stops outstanding fetches when the call is cancelled', async () => {
    const inner = new MemoryBlobStore();
    let inFlight = 0;
    let max = 0;
    let started = 0;
    let abortedFetches = 0;
    const slow: BlobStore = Object.assign(Object.create(inner) as BlobStore, {
      get: async (key: string, signal?: AbortSignal) => {
        started++;
        inFlight++;
        max = Math.max(max, inFlight);
        try {
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, 20);
            signal?.addEventListener('abort', () => {
              clearTimeout(t);
              abortedFetches++;
              reject(new Error('aborted'));
            });
          });
          return await inner.get(key);
        } finally {
          inFlight--;
        }
      },
      list: inner.list.bind(inner),
    });
    const b = new QueryBench('items', slow);
    await b.index('by_group', 'equality', ['group']);
    for (let i = 0; i < 60; i++) await b.put(pad(i), { group: 'g', i });
    const e = b.engine({ fetchConcurrency: 4 });
    expect((await run(e, { filter: parseFilter('group = "g"') })).items).toHaveLength(60);
    expect(max).toBe(4);

    started = 0;
    const ac = new AbortController();
    const it = e.query(ctx(ac.signal), { collection: 'items', filter: parseFilter('group = "g"') });
    await it.next();
    await it.next();
    ac.abort();
    await expect(it.next()).rejects.toMatchObject({ reason: 'CANCELLED' });
    await new Promise((r) => setTimeout(r, 50));
    expect(abortedFetches).toBeGreaterThan(0);
    expect(started).toBeLessThan(12);
    expect(inFlight).toBe(0);
  });

  it('streams with backpressure: an index walk with a limit reads only a window of documents', async () => {
    const b = new QueryBench();
    await b.index('by_n', 'ordered', ['n']);
    for (let i = 0; i < 1000; i++) await b.put(`d${String(i).padStart(4, '0')}`, { n: i });
    let gets = 0;
    const get = b.store.get.bind(b.store);
    b.store.get = async (key, signal) => {
      gets++;
      return get(key, signal);
    };
    const e = b.engine({ fetchConcurrency: 8 });
    const it = e.query(ctx(), { collection: 'items', orderBy: [desc('n')] });
    const first = await it.next();
    expect(first.value).toMatchObject({ document: { data: { n: 999 } } });
    // the window (8), the one started when the first result was taken, and one
    // look-ahead to see that the next document has another n
    expect(gets).toBeLessThanOrEqual(10);
    await it.return({ skippedResults: 0 });
  });
});

/** The id tenDocs gives the document with this n. */
function idOf(n: number): string {
  return `id-${(n * 7) % 11}`;
}
