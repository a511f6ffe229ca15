/**
 * The nesting limit against a live server over both transports: a document
 * exactly 32 levels deep (the top-level object being level 1) is written and
 * read back through get, batchGet, list, query and batchWrite; one level
 * deeper is INVALID_ARGUMENT / DOCUMENT_TOO_DEEP. A key "__proto__" (which
 * protobuf-es would drop when encoding) is refused, never dropped; keys
 * "constructor" and "prototype" round-trip.
 */
import { Code, put, type JsonObject, type SmarterBaseClient } from '../src/index.js';
import { rejection } from './expect-error.js';
import { liveClients, LIVE_TRANSPORTS, uniqueCollection, useLiveServer } from './server-fixture.js';

const MAX_DEPTH = 32;
const liveServer = useLiveServer();

/** An object nested `levels` deep, counting itself. */
function nest(levels: number): JsonObject {
  let v: JsonObject = { leaf: true };
  for (let i = 1; i < levels; i++) v = { v };
  return v;
}

describe.each(LIVE_TRANSPORTS)('nesting depth over %s', (transport) => {
  const connect = liveClients(liveServer, transport, 10_000);
  let db: SmarterBaseClient;
  beforeAll(() => {
    db = connect();
  });

  it(`reads back a document exactly ${MAX_DEPTH} levels deep through every read path`, async () => {
    const col = uniqueCollection(`ts_depth_${transport}`);
    const data = nest(MAX_DEPTH);
    expect((await db.put(col, 'max', data)).data).toEqual(data);
    expect((await db.get(col, 'max')).data).toEqual(data);
    const batch = [];
    for await (const item of db.batchGet(col, ['max'])) batch.push(item.document?.data);
    expect(batch).toEqual([data]);
    expect((await db.list(col)).documents.map((d) => d.data)).toEqual([data]);
    const found = [];
    for await (const d of db.query(col)) found.push(d.data);
    expect(found).toEqual([data]);
    const [written] = await db.batchWrite(col, [put('max2', data)]);
    expect(written?.document?.data).toEqual(data);
  });

  it('refuses one level deeper with INVALID_ARGUMENT / DOCUMENT_TOO_DEEP', async () => {
    const e = await rejection(db.put(uniqueCollection(`ts_depth_${transport}`), 'deep', nest(MAX_DEPTH + 1)));
    expect([e.code, e.reason]).toEqual([Code.InvalidArgument, 'DOCUMENT_TOO_DEEP']);
    expect(e.metadata).toMatchObject({ field: 'data', maxDepth: String(MAX_DEPTH) });
  });

  it('refuses a "__proto__" key with INVALID_ARGUMENT on every write call and stores nothing', async () => {
    const col = uniqueCollection(`ts_proto_${transport}`);
    const data = JSON.parse('{"a":1,"n":{"__proto__":{"x":1}}}') as JsonObject;
    for (const call of [
      () => db.put(col, 'p', data),
      () => db.create(col, data, { id: 'p' }),
      () => db.putIfMatch(col, 'p', data, 'e'),
      () => db.batchWrite(col, [put('p', data)]),
      () => db.transaction().set(col, 'p', data).commit(),
    ]) {
      const e = await rejection((async () => call())());
      expect([e.code, e.reason, e.metadata.field]).toEqual([Code.InvalidArgument, 'INVALID_ARGUMENT', 'data.n.__proto__']);
    }
    expect(await db.exists(col, 'p')).toBe(false);
  });

  it('round-trips "constructor" and "prototype" keys', async () => {
    const col = uniqueCollection(`ts_proto_${transport}`);
    const data: JsonObject = { constructor: { prototype: 1 }, prototype: { constructor: 'x', toString: [1] }, hasOwnProperty: null };
    expect((await db.put(col, 'c', data)).data).toEqual(data);
    expect((await db.get(col, 'c')).data).toEqual(data);
  });
});
