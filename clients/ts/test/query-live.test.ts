/**
 * Queries and index administration against a live server, over both
 * transports (QueryService, AdminService).
 */
import { and, Code, eq, gte, lt, type SmarterBaseClient } from '../src/index.js';
import { liveClients, LIVE_TRANSPORTS, uniqueCollection, useLiveServer } from './server-fixture.js';
import { rejection } from './expect-error.js';

const transports = LIVE_TRANSPORTS;
const liveServer = useLiveServer();

describe.each(transports)('queries over %s', (transport) => {
  const connect = liveClients(liveServer, transport, 20_000);
  let db: SmarterBaseClient;
  let col: string;
  beforeAll(async () => {
    db = connect();
    col = uniqueCollection(`tsq_${transport}`);
    await db.createIndex({ collection: col, name: 'by_n', fields: ['n'], kind: 'ordered' });
    expect((await db.waitForIndexReady(col, 'by_n', { pollMs: 50, timeoutMs: 15_000 })).state).toBe('ready');
    for (let n = 1; n <= 10; n++) await db.put(col, `d${String(n).padStart(2, '0')}`, { n, parity: n % 2 === 0 ? 'even' : 'odd' });
  });

  it('order by n, offset 3, limit 3 → exactly n = 4, 5, 6; then resumes after n = 5', async () => {
    const stream = db.query<{ n: number }>(col, { orderBy: ['n'], offset: 3, limit: 3 });
    expect((await stream.toArray()).map((d) => d.data.n)).toEqual([4, 5, 6]);
    expect(stream.done).toBe(true);
    let token = '';
    const first = db.query<{ n: number }>(col, { orderBy: ['n'], limit: 5 });
    for await (const d of first)
      if (d.data.n === 5) {
        token = first.resumeToken;
        break;
      }
    expect(token).not.toBe('');
    expect((await db.query<{ n: number }>(col, { orderBy: ['n'], limit: 2, startAfter: token }).toArray()).map((d) => d.data.n)).toEqual([
      6, 7,
    ]);
  });

  it('an expression filter and a typed filter select the same way', async () => {
    expect((await db.query<{ n: number }>(col, { filterExpression: 'n >= 8', orderBy: ['n'] }).toArray()).map((d) => d.data.n)).toEqual([
      8, 9, 10,
    ]);
    expect(
      (
        await db
          .query<{ n: number }>(col, { filterExpression: 'parity = "even" AND n < 5', orderBy: [{ field: 'n', direction: 'desc' }] })
          .toArray()
      ).map((d) => d.data.n),
    ).toEqual([4, 2]);
    expect(
      (await db.query<{ n: number }>(col, { filter: and(gte('n', 2), lt('n', 4)), orderBy: ['n'] }).toArray()).map((d) => d.data.n),
    ).toEqual([2, 3]);
  });

  it('count and explain', async () => {
    expect((await db.count(col, { filterExpression: 'n > 5' })).count).toBe(5);
    expect((await db.count(col)).count).toBe(10);
    const plan = await db.explain(col, { filter: gte('n', 7), orderBy: ['n'], limit: 2 });
    expect(plan.indexesUsed).toContain('by_n');
    expect(plan.scan).toBe(false);
  });

  it('a bad expression → INVALID_ARGUMENT / INVALID_FILTER with its position', async () => {
    const err = await rejection(db.query(col, { filterExpression: 'n >' }).toArray());
    expect([err.code, err.reason]).toEqual([Code.InvalidArgument, 'INVALID_FILTER']);
    expect(err.metadata['position']).toMatch(/^\d+$/);
  });

  it('require_index on an unindexed field → FAILED_PRECONDITION / INDEX_REQUIRED', async () => {
    const err = await rejection(db.query(col, { filter: eq('parity', 'odd'), requireIndex: true }).toArray());
    expect([err.code, err.reason]).toEqual([Code.FailedPrecondition, 'INDEX_REQUIRED']);
    expect((await rejection(db.count(col, { filter: eq('parity', 'odd'), requireIndex: true }))).reason).toBe('INDEX_REQUIRED');
  });

  it('listIndexes, dropIndex, then INDEX_NOT_FOUND', async () => {
    const other = uniqueCollection(`tsa_${transport}`);
    await db.createIndex({ collection: other, name: 'by_s', fields: ['s'], kind: 'equality' });
    expect((await db.listIndexes(other)).map((i) => [i.name, i.kind, i.fields])).toEqual([['by_s', 'equality', ['s']]]);
    await db.dropIndex(other, 'by_s');
    const err = await rejection(db.getIndex(other, 'by_s'));
    expect([err.code, err.reason]).toEqual([Code.NotFound, 'INDEX_NOT_FOUND']);
  });
});
