import { createClient, createRouterTransport } from '@connectrpc/connect';
import { AdminService } from '../../../gen/smarterbase/v1/admin_service_pb.js';
import { IndexKind, IndexState } from '../../../gen/smarterbase/v1/index_pb.js';
import { wrapErrors } from '../../decorators/wrap-errors.js';
import { createAdminHandlers } from './admin-handlers.js';

function setup() {
  const transport = createRouterTransport((r) => {
    r.service(
      AdminService,
      wrapErrors(
        AdminService,
        createAdminHandlers({
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
        }),
      ),
    );
  });
  return { admin: createClient(AdminService, transport) };
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
});
