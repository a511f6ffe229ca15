import fc from 'fast-check';
import type { Filter, OrderTerm } from '../../server/src/model/filter.js';
import type { IndexKind } from '../../server/src/model/index-def.js';
import type { JsonObject } from '../../server/src/model/json.js';
import { compareDocs } from '../../server/src/query/compare.js';
import { matches } from '../../server/src/query/evaluate.js';
import { docArb, docFields, filterArb, orderArb, smallValue } from './arbitraries.js';
import { ctx, QueryBench, run } from './query-fixture.js';

/** The indexes a run may create (a random subset each time). */
const CANDIDATE_INDEXES: Array<[string, IndexKind, string[]]> = [
  ['n_ord', 'ordered', ['n']],
  ['n_eq', 'equality', ['n']],
  ['s_eq', 'equality', ['s']],
  ['s_ord', 'ordered', ['s']],
  ['tags_eq', 'equality', ['tags']],
  ['ox_ord', 'ordered', ['o.x']],
  ['n_s', 'equality', ['n', 's']],
];

/** The reference answer: evaluate every document, sort, offset, limit. */
function naive(
  docs: Array<{ id: string; data: JsonObject }>,
  filter: Filter | undefined,
  orderBy: OrderTerm[],
  offset: number,
  limit: number,
): string[] {
  const hits = docs.filter((d) => filter === undefined || matches(filter, d.data)).sort(compareDocs(orderBy));
  return hits.slice(offset, limit > 0 ? offset + limit : undefined).map((d) => d.id);
}

describe('QueryEngine against the naive evaluation', () => {
  it('returns exactly the naive answer for random documents, indexes, filters, orders, offsets and limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(docArb, { maxLength: 25 }),
        fc.subarray(CANDIDATE_INDEXES),
        fc.option(filterArb(fc.constantFrom<string>(...docFields), smallValue), { nil: undefined }),
        orderArb,
        fc.nat({ max: 4 }),
        fc.nat({ max: 6 }),
        async (datas, defs, filter, orderBy, offset, limit) => {
          const b = new QueryBench();
          for (const [name, kind, fields] of defs) await b.index(name, kind, fields);
          const docs = datas.map((data, i) => ({ id: `doc-${(i * 37) % 101}`, data }));
          for (const d of docs) await b.put(d.id, d.data);
          const e = b.engine({ fetchConcurrency: 3 });
          const base = { ...(filter === undefined ? {} : { filter }), orderBy };

          const got = (await run(e, { ...base, offset, limit })).items.map((i) => i.document.id);
          expect(got).toEqual(naive(docs, filter, orderBy, offset, limit));

          // paging with resume tokens gives the whole answer
          const pages: string[] = [];
          let token: string | undefined;
          for (let guard = 0; guard < 30; guard++) {
            const page = await run(e, { ...base, limit: 3, ...(token === undefined ? {} : { startAfter: token }) });
            pages.push(...page.items.map((i) => i.document.id));
            if (page.items.length < 3) break;
            token = page.items[2]?.resumeToken;
          }
          const all = naive(docs, filter, orderBy, 0, 0);
          expect(pages).toEqual(all);

          const count = await e.count(ctx(), { collection: 'items', ...(filter === undefined ? {} : { filter }) });
          expect(count.count).toBe(all.length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never returns a wrong result while the indexes lag behind the documents', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(docArb, fc.option(docArb, { nil: undefined }), fc.boolean()), { maxLength: 20 }),
        fc.subarray(CANDIDATE_INDEXES, { minLength: 1 }),
        filterArb(fc.constantFrom<string>(...docFields), smallValue),
        orderArb,
        async (rows, defs, filter, orderBy) => {
          const b = new QueryBench();
          for (const [name, kind, fields] of defs) await b.index(name, kind, fields);
          const current: Array<{ id: string; data: JsonObject }> = [];
          for (const [i, [indexed, changed, deleted]] of rows.entries()) {
            const id = `doc-${i}`;
            await b.put(id, indexed);
            // then the blob changes or disappears without the index being told
            if (deleted) await b.store.delete(`docs/items/${id}`);
            else if (changed !== undefined) await b.putBlob(id, changed);
            if (!deleted) current.push({ id, data: changed ?? indexed });
          }
          const { items } = await run(b.engine(), { filter, orderBy });
          const got = items.map((i) => ({ id: i.document.id, data: i.document.data }));
          const byId = new Map(current.map((d) => [d.id, d]));
          for (const g of got) {
            expect(g.data).toEqual(byId.get(g.id)?.data); // the current document
            expect(matches(filter, g.data)).toBe(true); // and it matches
          }
          expect(new Set(got.map((g) => g.id)).size).toBe(got.length);
          expect([...got].sort(compareDocs(orderBy))).toEqual(got); // in order
        },
      ),
      { numRuns: 300 },
    );
  });
});
