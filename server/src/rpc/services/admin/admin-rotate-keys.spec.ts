import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import type { KeyRotationApi, RotateKeysInput } from '../../../api/key-rotation-api.js';
import type { AdminApi } from '../../../api/query-api.js';
import { ErrorInfoSchema } from '../../../gen/google/rpc/error_details_pb.js';
import { AdminService } from '../../../gen/smarterbase/v1/admin_service_pb.js';
import { wrapErrors } from '../../decorators/wrap-errors.js';
import { createAdminHandlers } from './admin-handlers.js';

const noIndexes = {} as AdminApi; // RotateKeys never touches the index administration

function client(rotation?: KeyRotationApi) {
  const transport = createRouterTransport((r) => {
    r.service(AdminService, wrapErrors(AdminService, createAdminHandlers(noIndexes, rotation)));
  });
  return createClient(AdminService, transport);
}

test('RotateKeys streams the rotation progress as RotateKeysResponse, passing the collection (empty = all)', async () => {
  const inputs: RotateKeysInput[] = [];
  const rotation: KeyRotationApi = {
    rotateKeys: async function* (_ctx, input) {
      inputs.push(input);
      const base = { primaryKeyId: 'k2', failedKeys: [] as string[] };
      yield { ...base, scanned: 10, rewritten: 7, skipped: 3, failed: 0, done: false };
      yield { ...base, scanned: 11, rewritten: 7, skipped: 3, failed: 1, done: true, failedKeys: ['docs/c/x: DECRYPTION_FAILED'] };
    },
  };
  const got = [];
  for await (const m of client(rotation).rotateKeys({ collection: 'users' })) got.push(m);
  expect(got.map((m) => [m.scanned, m.rewritten, m.skipped, m.failed, m.done, m.primaryKeyId, m.failedKeys])).toEqual([
    [10n, 7n, 3n, 0n, false, 'k2', []],
    [11n, 7n, 3n, 1n, true, 'k2', ['docs/c/x: DECRYPTION_FAILED']],
  ]);
  for await (const _ of client(rotation).rotateKeys({})) void _;
  expect(inputs).toEqual([{ collection: 'users' }, {}]);
});

test('RotateKeys without a keyring is FAILED_PRECONDITION / ENCRYPTION_NOT_CONFIGURED', async () => {
  const err = await (async () => {
    for await (const _ of client().rotateKeys({})) void _;
  })().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectError);
  expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
  expect((err as ConnectError).rawMessage).toMatch(/SB_ENCRYPTION_KEYRING_FILE/);
  expect((err as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe('ENCRYPTION_NOT_CONFIGURED');
});
