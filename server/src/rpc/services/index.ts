/**
 * The one registration list of the RPC edge: every service this server
 * offers, each with its handler set, in the order both mounts serve them
 * and reflection describes them. rpc/server/rpc-server.ts mounts each entry on the
 * grpc-js port and the connect-node port through the one decorator chain
 * (rpc/decorators/chain.ts); health reports every API service listed here.
 * A new service is one entry (and, when it needs its own engine, one field
 * of ServiceEngines).
 */
import type { AccessAdmin } from '../../access/access-admin.js';
import { AccessService } from '../../gen/smarterbase/v1/access_service_pb.js';
import { createAccessHandlers } from './access/access-handlers.js';
import type { SubsystemHealth } from '../../common/health-monitor.js';
import type { DocumentApi } from '../../api/document-api.js';
import type { LockApi } from '../../api/lock-api.js';
import type { LogApi } from '../../api/log-api.js';
import { LogService } from '../../gen/smarterbase/v1/log_service_pb.js';
import { createLogHandlers } from './logs/log-handlers.js';
import type { StreamApi } from '../../api/stream-api.js';
import { StreamService } from '../../gen/smarterbase/v1/stream_service_pb.js';
import { createStreamHandlers } from './streams/stream-handlers.js';
import type { ObjectApi } from '../../api/object-api.js';
import { ObjectService } from '../../gen/smarterbase/v1/object_service_pb.js';
import { createObjectHandlers } from './objects/object-handlers.js';
import type { KeyRotationApi } from '../../api/key-rotation-api.js';
import type { AdminApi, QueryApi } from '../../api/query-api.js';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { AdminService } from '../../gen/smarterbase/v1/admin_service_pb.js';
import { DocumentService } from '../../gen/smarterbase/v1/document_service_pb.js';
import { LockService } from '../../gen/smarterbase/v1/lock_service_pb.js';
import { QueryService } from '../../gen/smarterbase/v1/query_service_pb.js';
import type { InternalErrorLogger } from '../error-table.js';
import { typedService, type TypedService } from '../typed-service.js';
import { createAdminHandlers } from './admin/admin-handlers.js';
import { createDocumentHandlers } from './documents/document-handlers.js';
import { createHealthHandlers, HealthState } from './health/health.js';
import { createLockHandlers } from './locks/lock-handlers.js';
import { createQueryHandlers } from './queries/query-handlers.js';

/** The engines behind the services; a service whose engine is absent is not served (its calls are UNIMPLEMENTED). */
export interface ServiceEngines {
  /** The documents (DocumentService, always served). */
  readonly api: DocumentApi;
  /** The query engine (QueryService). */
  readonly query?: QueryApi;
  /** The index administration (AdminService). */
  readonly admin?: AdminApi;
  /** Key rotation of encryption at rest (AdminService.RotateKeys); absent: RotateKeys answers ENCRYPTION_NOT_CONFIGURED. */
  readonly keyRotation?: KeyRotationApi;
  /** The locks (LockService). */
  readonly locks?: LockApi;
  /** The change feed (StreamService; also fills read_revision of reads). */
  readonly streams?: StreamApi;
  /** The object engine (ObjectService). */
  readonly objects?: ObjectApi;
  /** The logs (LogService). */
  readonly logs?: LogApi;
  /** Keys, roles and principals (AccessService; served when authentication is on, docs/adr/0015). */
  readonly access?: AccessAdmin;
  /** The backends' health, reported as smarterbase.<subsystem> by Health; omit for none. */
  readonly backends?: SubsystemHealth;
  /** Receives backend causes of failed batch items (whole calls' errors reach it through the chain). */
  readonly logInternal?: InternalErrorLogger;
}

/** One entry of the list. */
export interface RegisteredService extends TypedService {
  /** False for a service admission control never refuses (health must answer under load). */
  readonly admitted: boolean;
}

/** The list, and the health state that its Health entry serves. */
export interface ServiceRegistry {
  readonly services: readonly RegisteredService[];
  readonly health: HealthState;
}

function entry(service: TypedService, admitted = true): RegisteredService {
  return {
    service: service.service,
    with: (use) => service.with(use),
    admitted,
    ...(service.incompressible === true ? { incompressible: true } : {}),
  };
}

/** Every service for the engines given, Health last. */
export function registerServices(engines: ServiceEngines): ServiceRegistry {
  const revisions = engines.streams;
  const api: RegisteredService[] = [
    entry(typedService(DocumentService, createDocumentHandlers(engines.api, engines.logInternal, revisions))),
  ];
  if (engines.query !== undefined) api.push(entry(typedService(QueryService, createQueryHandlers(engines.query, revisions))));
  if (engines.admin !== undefined) api.push(entry(typedService(AdminService, createAdminHandlers(engines.admin, engines.keyRotation))));
  if (engines.locks !== undefined) api.push(entry(typedService(LockService, createLockHandlers(engines.locks))));
  if (engines.streams !== undefined) api.push(entry(typedService(StreamService, createStreamHandlers(engines.streams))));
  if (engines.objects !== undefined)
    api.push(entry(typedService(ObjectService, createObjectHandlers(engines.objects), { incompressible: true })));
  if (engines.logs !== undefined) api.push(entry(typedService(LogService, createLogHandlers(engines.logs))));
  if (engines.access !== undefined) api.push(entry(typedService(AccessService, createAccessHandlers(engines.access))));
  const health = new HealthState(
    api.map((s) => s.service.typeName),
    engines.backends,
  );
  return { services: [...api, entry(typedService(Health, createHealthHandlers(health)), false)], health };
}
