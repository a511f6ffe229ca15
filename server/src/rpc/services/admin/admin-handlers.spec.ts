import { createClient, createRouterTransport } from '@connectrpc/connect';
import { AdminService } from '../../../gen/smarterbase/v1/admin_service_pb.js';
import { IndexKind, IndexState } from '../../../gen/smarterbase/v1/index_pb.js';
import { wrapErrors } from '../../decorators/wrap-errors.js';
import { createAdminHandlers } from './admin-handlers.js';
import type { AdminApi, CheckIndexesInput, RebuildIndexesInput } from '../../../api/query-api.js';
import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { CheckIndexesRequestSchema, RebuildOutcome } from '../../../gen/smarterbase/v1/admin_service_pb.js';

const checks: CheckIndexesInput[] = [];
const ended: string[] = [];
const rebuilds: RebuildIndexesInput[] = [];

function setup() {
  const transport = createRouterTransport((r) => {
    r.service(AdminService, wrapErrors(AdminService, createAdminHandlers(fakeApi())));
  });
  return { admin: createClient(AdminService, transport) };
}

function fakeApi(): AdminApi {
  return {
    createIndex: async (_ctx, def) => ({ ...def, state: 'ready', documentsScanned: 0, createTime: new Date(0) }),
    getIndex: async (_ctx, collection, name) => ({
      collection,
      name,
      fields: ['n'],
      kind: 'ordered',
      state: 'building',
      documentsScanned: 4,
      createTime: new Date(0),
    }),
    listIndexes: async () => [],
    dropIndex: async () => undefined,
    checkIndexes: async function* (_ctx, input) {
      checks.push(input);
      const base = { documentsScanned: 3, entriesChecked: 0, missing: 1, stale: 0, repaired: 0, skipped: 0, samples: [] };
      try {
        yield { ...base, done: false };
      } finally {
        if (input.index === 'slow') ended.push('returned');
      }
      yield { ...base, entriesChecked: 5, stale: 2, done: true, samples: ['stale by_n n:1 x'] };
    },
    rebuildIndexes: async function* (_ctx, input) {
      rebuilds.push(input);
      yield { index: 'by_n', documentsScanned: 7, done: false, results: [] };
      yield {
        index: '',
        documentsScanned: 0,
        done: true,
        results: [
          { name: 'by_n', outcome: 'swapped', documentsScanned: 7 },
          { name: 'u', outcome: 'failed', documentsScanned: 7, error: 'unique index u: documents "a" and "b" hold the same value' },
        ],
      };
    },
  };
}

describe('admin handlers', () => {
  test('admin handlers convert definitions and states', async () => {
    const { admin } = setup();
    const created = await admin.createIndex({ index: { collection: 'c', name: 'u', fields: ['e'], kind: IndexKind.UNIQUE } });
    expect(created.index).toMatchObject({ name: 'u', kind: IndexKind.UNIQUE, state: IndexState.READY });
    expect((await admin.getIndex({ collection: 'c', name: 'by_n' })).index).toMatchObject({
      state: IndexState.BUILDING,
      documentsScanned: 4n,
    });
    expect((await admin.listIndexes({ collection: 'c' })).indexes).toEqual([]);
    await expect(admin.dropIndex({ collection: 'c', name: 'x' })).resolves.toBeDefined();
  });

  test('CheckIndexes streams progress then the summary, passing collection, index and repair', async () => {
    const { admin } = setup();
    const out = [];
    for await (const m of admin.checkIndexes({ collection: 'c', index: 'by_n', repair: true })) out.push(m);
    expect(checks.pop()).toEqual({ collection: 'c', index: 'by_n', repair: true });
    expect(out.map((m) => [m.done, m.missing, m.stale, m.entriesChecked])).toEqual([
      [false, 1n, 0n, 0n],
      [true, 1n, 2n, 5n],
    ]);
    expect(out[1]?.samples).toEqual(['stale by_n n:1 x']);
    for await (const m of admin.checkIndexes({ collection: 'c' })) expect(m.documentsScanned).toBe(3n);
    expect(checks.pop()).toEqual({ collection: 'c', repair: false });
  });

  test('RebuildIndexes streams progress then one result per index, passing collection and index', async () => {
    const { admin } = setup();
    const out = [];
    for await (const m of admin.rebuildIndexes({ collection: 'c' })) out.push(m);
    expect(rebuilds.pop()).toEqual({ collection: 'c' });
    expect(out.map((m) => [m.index, m.documentsScanned, m.done])).toEqual([
      ['by_n', 7n, false],
      ['', 0n, true],
    ]);
    expect(out[1]?.results.map((r) => [r.name, r.outcome, r.documentsScanned, r.error])).toEqual([
      ['by_n', RebuildOutcome.SWAPPED, 7n, ''],
      ['u', RebuildOutcome.FAILED, 7n, 'unique index u: documents "a" and "b" hold the same value'],
    ]);
    for await (const m of admin.rebuildIndexes({ collection: 'c', index: 'u' })) void m;
    expect(rebuilds.pop()).toEqual({ collection: 'c', index: 'u' });
  });

  test('a CheckIndexes stream that ends early returns the engine generator, which stops the scan', async () => {
    const api = fakeApi();
    const handler = createAdminHandlers(api).checkIndexes;
    const ctx = { signal: new AbortController().signal, timeoutMs: () => undefined } as unknown as HandlerContext;
    const stream = handler(create(CheckIndexesRequestSchema, { collection: 'c', index: 'slow' }), ctx) as AsyncGenerator<unknown>;
    expect(await stream.next()).toMatchObject({ done: false });
    await stream.return(undefined);
    expect(ended).toEqual(['returned']);
  });
});
