import fc from 'fast-check';
import { DbError } from '../errors/db-error.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DocumentEngine } from './document-engine.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';

/**
 * Model-based property test: random sequences of operations on a few ids
 * must behave like a simple Map model (versions, etags, errors, listing).
 */

const ctx = { signal: new AbortController().signal };

type Op =
  | { op: 'put'; id: string; n: number; createOnly: boolean }
  | { op: 'putIfMatch'; id: string; n: number; etag: 'current' | 'stale' }
  | { op: 'delete'; id: string; etag: 'none' | 'current' | 'stale' }
  | { op: 'get'; id: string }
  | { op: 'list'; pageSize: number };

const ids = fc.constantFrom('a', 'b', 'c', 'é', '😀');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('put' as const), id: ids, n: fc.nat(9), createOnly: fc.boolean() }),
  fc.record({ op: fc.constant('putIfMatch' as const), id: ids, n: fc.nat(9), etag: fc.constantFrom('current' as const, 'stale' as const) }),
  fc.record({ op: fc.constant('delete' as const), id: ids, etag: fc.constantFrom('none' as const, 'current' as const, 'stale' as const) }),
  fc.record({ op: fc.constant('get' as const), id: ids }),
  fc.record({ op: fc.constant('list' as const), pageSize: fc.integer({ min: 1, max: 3 }) }),
);

interface ModelDoc {
  n: number;
  version: number;
  etag: string;
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof DbError) return e.reason;
    throw e;
  }
}

describe('DocumentEngine against a Map model (property)', () => {
  it('agrees with the model on every operation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
        const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
        const model = new Map<string, ModelDoc>();
        const seenEtags = new Set<string>();
        const staleEtag = 'ffffffffffffffffffffffffffffffff';
        for (const o of ops) {
          const cur = 'id' in o ? model.get(o.id) : undefined;
          switch (o.op) {
            case 'put': {
              if (o.createOnly && cur) {
                expect(await reasonOf(engine.put(ctx, { collection: 'c', id: o.id, data: { n: o.n }, createOnly: true }))).toBe(
                  'DOCUMENT_ALREADY_EXISTS',
                );
                break;
              }
              const d = await engine.put(ctx, { collection: 'c', id: o.id, data: { n: o.n }, createOnly: o.createOnly });
              expect(d.version).toBe((cur?.version ?? 0) + 1);
              expect(seenEtags.has(d.etag)).toBe(false);
              seenEtags.add(d.etag);
              model.set(o.id, { n: o.n, version: d.version, etag: d.etag });
              break;
            }
            case 'putIfMatch': {
              const etag = o.etag === 'current' && cur ? cur.etag : staleEtag;
              const p = engine.putIfMatch(ctx, { collection: 'c', id: o.id, data: { n: o.n }, etag });
              if (!cur) expect(await reasonOf(p)).toBe('DOCUMENT_NOT_FOUND');
              else if (etag !== cur.etag) expect(await reasonOf(p)).toBe('ETAG_MISMATCH');
              else {
                const d = await p;
                expect(d.version).toBe(cur.version + 1);
                expect(seenEtags.has(d.etag)).toBe(false);
                seenEtags.add(d.etag);
                model.set(o.id, { n: o.n, version: d.version, etag: d.etag });
              }
              break;
            }
            case 'delete': {
              if (o.etag === 'none') {
                expect(await engine.delete(ctx, { collection: 'c', id: o.id })).toBe(cur !== undefined);
                model.delete(o.id);
                break;
              }
              const etag = o.etag === 'current' && cur ? cur.etag : staleEtag;
              const p = engine.delete(ctx, { collection: 'c', id: o.id, etag });
              if (!cur) expect(await reasonOf(p)).toBe('DOCUMENT_NOT_FOUND');
              else if (etag !== cur.etag) expect(await reasonOf(p)).toBe('ETAG_MISMATCH');
              else {
                expect(await p).toBe(true);
                model.delete(o.id);
              }
              break;
            }
            case 'get': {
              if (!cur) expect(await reasonOf(engine.get(ctx, 'c', o.id))).toBe('DOCUMENT_NOT_FOUND');
              else expect(await engine.get(ctx, 'c', o.id)).toMatchObject({ data: { n: cur.n }, version: cur.version, etag: cur.etag });
              break;
            }
            case 'list': {
              const listed: string[] = [];
              let pageToken = '';
              do {
                const page = await engine.list(ctx, { collection: 'c', pageSize: o.pageSize, pageToken });
                expect(page.documents.length).toBeLessThanOrEqual(o.pageSize);
                for (const d of page.documents) {
                  listed.push(d.id);
                  expect(d).toMatchObject({ version: model.get(d.id)?.version });
                }
                pageToken = page.nextPageToken;
              } while (pageToken !== '');
              const expected = [...model.keys()].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
              expect(listed).toEqual(expected);
              break;
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
