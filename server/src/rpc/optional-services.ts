/**
 * The services mounted only when their engine is given: QueryService over a
 * QueryApi, AdminService over an AdminApi and LockService over a LockApi,
 * each already wrapped by the
 * error table. rpc/server.ts mounts them on both ports, lists them in
 * health and describes them through reflection.
 */
import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { AdminApi, QueryApi } from '../engine/query-api.js';
import type { LockApi } from '../engine/lock-api.js';
import { LockService } from '../gen/smarterbase/v1/lock_service_pb.js';
import { createLockHandlers } from './services/locks/lock-handlers.js';
import { AdminService } from '../gen/smarterbase/v1/admin_service_pb.js';
import { QueryService } from '../gen/smarterbase/v1/query_service_pb.js';
import { createAdminHandlers } from './services/admin/admin-handlers.js';
import type { InternalErrorLogger } from './error-table.js';
import { createQueryHandlers } from './services/queries/query-handlers.js';
import { wrapErrors } from './decorators/wrap-errors.js';

/** A service and its wrapped implementation. */
export interface OptionalService {
  readonly service: DescService;
  readonly impl: ServiceImpl<DescService>;
}

/** The engines behind the optional services. */
export interface OptionalEngines {
  readonly query?: QueryApi;
  readonly admin?: AdminApi;
  readonly locks?: LockApi;
}

/** QueryService, AdminService and/or LockService, for the engines present. */
export function optionalServices(engines: OptionalEngines, logInternal?: InternalErrorLogger): OptionalService[] {
  const out: OptionalService[] = [];
  if (engines.query !== undefined) {
    out.push({ service: QueryService, impl: wrapErrors(QueryService, createQueryHandlers(engines.query), logInternal) as unknown as ServiceImpl<DescService> });
  }
  if (engines.admin !== undefined) {
    out.push({ service: AdminService, impl: wrapErrors(AdminService, createAdminHandlers(engines.admin), logInternal) as unknown as ServiceImpl<DescService> });
  }
  if (engines.locks !== undefined) {
    out.push({ service: LockService, impl: wrapErrors(LockService, createLockHandlers(engines.locks), logInternal) as unknown as ServiceImpl<DescService> });
  }
  return out;
}
