import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { DbError } from '../../errors/db-error.js';
import { Health, HealthCheckResponse_ServingStatus as S } from '../../gen/grpc/health/v1/health_pb.js';
import { AdminService } from '../../gen/smarterbase/v1/admin_service_pb.js';
import type { AuditEvent, AuditLog } from '../../observability/audit-log.js';
import { auditCalls } from './audit-calls.js';
import { wrapErrors } from './wrap-errors.js';

describe('auditCalls', () => {
  const events: AuditEvent[] = [];
  const audit = { record: (e: AuditEvent) => events.push(e) } as unknown as AuditLog;
  const opts = { audit, principalOf: () => 'ops' };
  const admin = createClient(
    AdminService,
    createRouterTransport((r) => {
      r.service(
        AdminService,
        auditCalls(
          AdminService,
          wrapErrors(AdminService, {
            listIndexes(req) {
              if (req.collection === 'bad') throw new DbError('invalid', 'INVALID_ARGUMENT', 'bad collection', { field: 'collection' });
              return { indexes: [] };
            },
          }),
          opts,
        ),
      );
    }),
  );
  const health = createClient(
    Health,
    createRouterTransport((r) => {
      r.service(
        Health,
        auditCalls(
          Health,
          {
            check(req) {
              if (req.service === 'deny') throw new ConnectError('no', Code.PermissionDenied);
              if (req.service === 'anon') throw new ConnectError('who', Code.Unauthenticated);
              if (req.service === 'gone') throw new ConnectError('x', Code.NotFound);
              return { status: S.SERVING };
            },
          },
          opts,
        ),
      );
    }),
  );
  beforeEach(() => (events.length = 0));

  test('every admin call is recorded with its outcome and the resource its request names', async () => {
    await admin.listIndexes({ collection: 'users' });
    await admin.listIndexes({ collection: 'bad' }).catch(() => undefined);
    expect(events).toEqual([
      { kind: 'admin', method: 'smarterbase.v1.AdminService/ListIndexes', principal: 'ops', resource: 'collection=users', outcome: 'ok' },
      {
        kind: 'admin',
        method: 'smarterbase.v1.AdminService/ListIndexes',
        principal: 'ops',
        resource: 'collection=bad',
        outcome: 'invalid_argument',
      },
    ]);
  });

  test('other services: only refused calls are recorded, with the trace id of the caller', async () => {
    await health.check({ service: '' });
    await health.check({ service: 'gone' }).catch(() => undefined);
    await health
      .check({ service: 'deny' }, { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })
      .catch(() => undefined);
    await health.check({ service: 'anon' }).catch(() => undefined);
    expect(events.map((e) => [e.kind, e.outcome, e.traceId])).toEqual([
      ['denied', 'permission_denied', '0af7651916cd43dd8448eb211c80319c'],
      ['unauthenticated', 'unauthenticated', undefined],
    ]);
  });
});
