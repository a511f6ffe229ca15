import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { createRouterTransport, type ServiceImpl } from '@connectrpc/connect';
import { put as batchPut } from './batch.js';
import { createClient } from './client.js';
import { toProtoExpiration } from './expiry.js';
import { DocumentSchema, type Document, type Expiration } from './gen/smarterbase/v1/document_pb.js';
import { DocumentService } from './gen/smarterbase/v1/document_service_pb.js';
import { ChangeType, WatchResponseSchema } from './gen/smarterbase/v1/stream_service_pb.js';
import { fromProtoWatchResponse } from './watch.js';

const AT = new Date('2030-01-02T03:04:05.678Z');

function doc(id: string, expireMs?: number): Document {
  return create(DocumentSchema, {
    collection: 'c',
    id,
    data: {},
    etag: 'e1',
    version: 1n,
    ...(expireMs === undefined ? {} : { expireTime: timestampFromMs(expireMs) }),
  });
}

/** A DocumentService that records each write's Expiration (undefined when the request had none). */
function recordingClient() {
  const seen: Array<[string, Expiration | undefined]> = [];
  const impl: Partial<ServiceImpl<typeof DocumentService>> = {
    put: (req) => (seen.push(['put', req.expiration]), { document: doc(req.id) }),
    putIfMatch: (req) => (seen.push(['putIfMatch', req.expiration]), { document: doc(req.id) }),
    create: (req) => (seen.push(['create', req.expiration]), { document: doc(req.id || 'new') }),
    get: (req) => ({ document: doc(req.id, AT.getTime()), readRevision: 1n }),
    batchWrite: (req) => {
      const results = [];
      for (const item of req.writes) {
        if (item.operation.case !== 'put') continue;
        seen.push(['batchPut', item.operation.value.expiration]);
        results.push({ id: item.operation.value.id, status: { code: 0 }, document: doc(item.operation.value.id) });
      }
      return { results };
    },
    commit: (req) => {
      for (const w of req.writes) if (w.operation.case === 'set') seen.push(['set', w.operation.value.expiration]);
      return { results: [], transactionId: 't', commitTime: timestampFromMs(0) };
    },
  };
  const db = createClient({ transport: createRouterTransport((r) => r.service(DocumentService, impl)) });
  return { db, seen };
}

/** The oneof of a recorded Expiration as [case, plain value]. */
function shape(e: Expiration | undefined): unknown {
  if (e === undefined) return undefined;
  const x = e.expiration;
  if (x.case === 'expireTime') return ['expireTime', Number(x.value.seconds) * 1000 + x.value.nanos / 1e6];
  if (x.case === 'ttl') return ['ttl', Number(x.value.seconds), x.value.nanos];
  return [x.case, x.value];
}

describe('toProtoExpiration', () => {
  it('maps each kind onto the Expiration oneof, and no expiry onto no message', () => {
    expect(toProtoExpiration(undefined)).toBeUndefined();
    expect(toProtoExpiration({ expireTime: AT })).toMatchObject({
      expiration: { case: 'expireTime', value: { seconds: BigInt(Math.floor(AT.getTime() / 1000)), nanos: 678_000_000 } },
    });
    expect(toProtoExpiration({ ttlMs: 1_500 })).toEqual({ expiration: { case: 'ttl', value: { seconds: 1n, nanos: 500_000_000 } } });
    expect(toProtoExpiration({ never: true })).toEqual({ expiration: { case: 'never', value: true } });
  });

  it('rejects an object of no known kind instead of sending an empty Expiration', () => {
    expect(() => toProtoExpiration({} as never)).toThrow(TypeError);
  });
});

describe('expiry on every write', () => {
  it('put, putIfMatch, create, update, batch put and transaction set send it; omitted sends none', async () => {
    const { db, seen } = recordingClient();
    await db.put('c', 'a', { v: 1 }, { expiry: { ttlMs: 2_000 } });
    await db.put('c', 'a', { v: 1 });
    await db.putIfMatch('c', 'a', { v: 2 }, 'e1', { expiry: { expireTime: AT } });
    await db.create('c', { v: 3 }, { expiry: { never: true } });
    await db.update('c', 'a', (d) => d, { expiry: { ttlMs: 3_000 } });
    await db.update('c', 'a', (d) => d);
    await db.batchWrite('c', [batchPut('a', {}, { expiry: { ttlMs: 4_000 } }), batchPut('b', {})]);
    await db
      .transaction()
      .set('c', 'a', {}, undefined, { expiry: { never: true } })
      .set('c', 'b', {}, { ifExists: true })
      .commit();
    expect(seen.map(([op, e]) => [op, shape(e)])).toEqual([
      ['put', ['ttl', 2, 0]],
      ['put', undefined],
      ['putIfMatch', ['expireTime', AT.getTime()]],
      ['create', ['never', true]],
      ['putIfMatch', ['ttl', 3, 0]],
      ['putIfMatch', undefined],
      ['batchPut', ['ttl', 4, 0]],
      ['batchPut', undefined],
      ['set', ['never', true]],
      ['set', undefined],
    ]);
  });

  it('keeps the expiry on the transaction write spec (what client.commit() takes)', () => {
    const { db } = recordingClient();
    const tx = db.transaction().set('c', 'a', {}, undefined, { expiry: { ttlMs: 1_000 } });
    expect(tx.writes[0]).toMatchObject({ op: 'set', expiry: { ttlMs: 1_000 } });
  });
});

describe('expireTime and EXPIRE changes', () => {
  it('a document carries its expireTime as a Date, undefined when it does not expire', async () => {
    const { db } = recordingClient();
    expect((await db.put('c', 'a', {})).expireTime).toBeUndefined();
    expect((await db.get('c', 'a')).expireTime).toEqual(AT);
    const batch = fromProtoWatchResponse(
      create(WatchResponseSchema, {
        revision: 7n,
        kind: {
          case: 'changes',
          value: {
            events: [
              { type: ChangeType.PUT, id: 'a', revision: 7n, document: doc('a', AT.getTime()) },
              { type: ChangeType.EXPIRE, id: 'b', revision: 8n, previousRevision: 5n },
              { type: ChangeType.DELETE, id: 'c', revision: 9n, previousRevision: 6n },
              { type: 99 as ChangeType, id: 'd', revision: 10n },
            ],
          },
        },
      }),
    );
    expect(batch?.changes.map((c) => [c.type, c.id, c.document?.expireTime])).toEqual([
      ['put', 'a', AT],
      ['expire', 'b', undefined],
      ['delete', 'c', undefined],
      ['unknown', 'd', undefined],
    ]);
  });
});
