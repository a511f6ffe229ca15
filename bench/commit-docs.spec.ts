import { COLLECTION, DocSet, WRITES, type Docs } from './commit-docs.js';

interface Write {
  collection: string;
  id: string;
  operation: { case: string; value: { data: Record<string, unknown> } };
  precondition?: { condition: { case: string; value: string } };
}

/** An in-memory stand-in for the DocumentService client: every write gives a new etag. */
function fakeDocs() {
  const etags = new Map<string, string>();
  let seq = 0;
  const calls: { method: string; request: unknown }[] = [];
  const write = (id: string) => {
    const etag = `e${++seq}`;
    etags.set(id, etag);
    return etag;
  };
  const docs = {
    put: async (r: { id: string }) => (calls.push({ method: 'put', request: r }), { document: { etag: write(r.id) } }),
    putIfMatch: async (r: { id: string; etag: string }) => {
      calls.push({ method: 'putIfMatch', request: r });
      if (etags.get(r.id) !== r.etag) throw new Error('ETAG_MISMATCH');
      return { document: { etag: write(r.id) } };
    },
    commit: async (r: { writes: Write[] }) => {
      calls.push({ method: 'commit', request: r });
      for (const w of r.writes)
        if (w.precondition && etags.get(w.id) !== w.precondition.condition.value) throw new Error('PRECONDITION_FAILED');
      return { results: r.writes.map((w) => ({ collection: w.collection, id: w.id, etag: write(w.id), version: 1n })) };
    },
    get: async (r: { id: string }) => ({ document: { etag: etags.get(r.id) } }),
  };
  return { docs: docs as unknown as Docs, calls, etags };
}

describe('DocSet', () => {
  it('seeds 10 documents with 10 Puts and learns their etags', async () => {
    const f = fakeDocs();
    const set = new DocSet(f.docs, 'w3', { a: 1 });
    await set.seed();
    expect(set.ids).toEqual(Array.from({ length: WRITES }, (_, i) => `w3-0${i}`));
    expect(f.calls.map((c) => c.method)).toEqual(Array(WRITES).fill('put'));
    await expect(set.verify()).resolves.toBeUndefined();
  });

  it('commit10Etag sends one Commit of 10 sets, each conditioned on the etag the last write returned', async () => {
    const f = fakeDocs();
    const set = new DocSet(f.docs, 'd', { a: 1 });
    await set.seed();
    await set.op('puts10Seq')(); // the etags change: the Commit must use the new ones
    f.calls.length = 0;
    await set.op('commit10Etag')();
    expect(f.calls).toHaveLength(1);
    const writes = (f.calls[0].request as { writes: Write[] }).writes;
    expect(writes.map((w) => w.id)).toEqual(set.ids);
    for (const w of writes) {
      expect(w.collection).toBe(COLLECTION);
      expect(w.operation.case).toBe('set');
      expect(w.operation.value.data.a).toBe(1);
      expect(w.precondition?.condition).toEqual({ case: 'etag', value: expect.stringMatching(/^e\d+$/) });
    }
    await set.op('commit10Etag')(); // and again, on the etags the Commit returned
    await set.op('putIfMatch10Par')();
    await expect(set.verify()).resolves.toBeUndefined();
  });

  it('unconditional ops carry no precondition; commit1 and put1 write the first document only', async () => {
    const f = fakeDocs();
    const set = new DocSet(f.docs, 'd', {});
    await set.seed();
    f.calls.length = 0;
    await set.op('commit10')();
    await set.op('commit1')();
    await set.op('put1')();
    const [c10, c1, p1] = f.calls;
    expect((c10.request as { writes: Write[] }).writes.every((w) => w.precondition === undefined)).toBe(true);
    expect((c1.request as { writes: Write[] }).writes.map((w) => w.id)).toEqual(['d-00']);
    expect(p1).toEqual({ method: 'put', request: expect.objectContaining({ id: 'd-00' }) });
    expect([c10, c1].map((c) => (c.request as { requestId?: string }).requestId)).toEqual([undefined, undefined]);
  });

  it('the *Rid ops send a fresh request_id with every Commit', async () => {
    const f = fakeDocs();
    const set = new DocSet(f.docs, 'd', {});
    await set.seed();
    f.calls.length = 0;
    await set.op('commit10Rid')();
    await set.op('commit10Rid')();
    await set.op('commit1Rid')();
    const sent = f.calls.map((c) => c.request as { writes: Write[]; requestId?: string });
    expect(sent.map((r) => r.writes.length)).toEqual([WRITES, WRITES, 1]);
    expect(new Set(sent.map((r) => r.requestId)).size).toBe(3);
    expect(sent.every((r) => typeof r.requestId === 'string' && r.requestId.length > 0)).toBe(true);
  });

  it('verify fails when a document does not read back with the last etag', async () => {
    const f = fakeDocs();
    const set = new DocSet(f.docs, 'd', {});
    await set.seed();
    f.etags.set('d-04', 'someone-else');
    await expect(set.verify()).rejects.toThrow(/d-04/);
  });

  it('rejects a Commit response that does not answer every write', async () => {
    const f = fakeDocs();
    const set = new DocSet({ ...f.docs, commit: async () => ({ results: [] }) } as unknown as Docs, 'd', {});
    await set.seed();
    await expect(set.op('commit10')()).rejects.toThrow(/0 results for 10 writes/);
  });
});
