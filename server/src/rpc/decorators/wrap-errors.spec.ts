import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { DbError } from '../../errors/db-error.js';
import { ErrorInfoSchema } from '../../gen/google/rpc/error_details_pb.js';
import { Health, HealthCheckResponse_ServingStatus as S } from '../../gen/grpc/health/v1/health_pb.js';
import { wrapErrors } from './wrap-errors.js';

describe('wrapErrors', () => {
  const logged: unknown[] = [];
  const impl = wrapErrors(
    Health,
    {
      check(req) {
        if (req.service === 'db') throw new DbError('already_exists', 'DOCUMENT_ALREADY_EXISTS', 'taken');
        throw new TypeError('x is undefined');
      },
      async *watch() {
        yield { status: S.SERVING };
        throw new DbError('aborted', 'ETAG_MISMATCH', 'stale');
      },
    },
    (e) => logged.push(e),
  );
  const client = createClient(
    Health,
    createRouterTransport((r) => {
      r.service(Health, impl);
    }),
  );

  test('unary: DbError → its code and ErrorInfo; other errors → INTERNAL, logged', async () => {
    const a = await client.check({ service: 'db' }).catch((e: unknown) => ConnectError.from(e));
    expect((a as ConnectError).code).toBe(Code.AlreadyExists);
    expect((a as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe('DOCUMENT_ALREADY_EXISTS');
    const b = await client.check({ service: 'bug' }).catch((e: unknown) => ConnectError.from(e));
    expect((b as ConnectError).code).toBe(Code.Internal);
    expect((b as ConnectError).rawMessage).toBe('internal error');
    expect(logged).toEqual([expect.any(TypeError)]);
  });

  test('streaming: messages before the error arrive, then the mapped error', async () => {
    const got: S[] = [];
    const err = await (async () => {
      for await (const r of client.watch({ service: '' })) got.push(r.status);
    })().catch((e: unknown) => ConnectError.from(e));
    expect(got).toEqual([S.SERVING]);
    expect((err as ConnectError).code).toBe(Code.Aborted);
  });
});
