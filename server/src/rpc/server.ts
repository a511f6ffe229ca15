/**
 * The one place that builds the servers: a grpc-js server (DocumentService,
 * QueryService, AdminService and LockService when given their engines, Health,
 * Reflection v1 + v1alpha) and a connect-node server (Connect, gRPC-Web,
 * gRPC over h2c: the same services but reflection), with message size
 * limits, error translation and graceful shutdown.
 */
import * as grpc from '@grpc/grpc-js';
import type { DescService } from '@bufbuild/protobuf';
import type { SubsystemHealth } from '../common/health-monitor.js';
import type { ServiceImpl } from '@connectrpc/connect';
import type { DocumentApi } from '../engine/document-api.js';
import type { AdminApi, QueryApi } from '../engine/query-api.js';
import type { LockApi } from '../engine/lock-api.js';
import { DocumentService } from '../gen/smarterbase/v1/document_service_pb.js';
import { Health } from '../gen/grpc/health/v1/health_pb.js';
import { file_google_rpc_error_details } from '../gen/google/rpc/error_details_pb.js';
import { file_smarterbase_v1_common } from '../gen/smarterbase/v1/common_pb.js';
import { ConnectEndpoint, type MountedService } from './connect-mount.js';
import { createDocumentHandlers } from './services/documents/document-handlers.js';
import { optionalServices } from './optional-services.js';
import type { InternalErrorLogger } from './error-table.js';
import { mountGrpc } from './grpc-mount.js';
import { answerUnknownMethods, closeSilentConnections, detailTransportStatuses } from './grpc-js-hooks.js';
import { observeCalls, type RpcTelemetry } from './decorators/observe-calls.js';
import { createHealthHandlers, HealthState } from './services/health/health.js';
import { createReflectionV1, createReflectionV1alpha, REFLECTION_SERVICES, ReflectionIndex } from './services/reflection/reflection.js';
import { wrapErrors } from './decorators/wrap-errors.js';
import { Admission, admitCalls } from './decorators/admission.js';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.js';

/** Options of RpcServer. */
export interface RpcServerOptions {
  /** The engine the handlers call. */
  readonly api: DocumentApi;
  /** The query engine; when given, QueryService is served on both ports (else it answers UNIMPLEMENTED). */
  readonly query?: QueryApi;
  /** The index administration; when given, AdminService is served on both ports (else UNIMPLEMENTED). */
  readonly admin?: AdminApi;
  /** The locks; when given, LockService is served on both ports (else UNIMPLEMENTED). */
  readonly locks?: LockApi;
  /** Interface to bind both ports to (default 127.0.0.1). */
  readonly host?: string;
  /** gRPC port; 0 picks a free one. */
  readonly grpcPort: number;
  /** HTTP (Connect / gRPC-Web / h2c gRPC) port; 0 picks a free one. */
  readonly httpPort: number;
  /** Largest message received or sent, in bytes (default 4 MiB). */
  readonly maxMessageBytes?: number;
  /** Receives unexpected (non-DbError) errors thrown by handlers; their text is never sent. */
  readonly logInternal?: InternalErrorLogger;
  /** Receives failures to write an HTTP response (not counting clients that left). */
  readonly logTransportError?: (err: unknown, procedure: string) => void;
  /** Traces, counts and times every call of both ports (rpc/decorators/observe-calls.ts); omit for none. */
  readonly telemetry?: RpcTelemetry;
  /** Connection, stream and in-flight limits (docs/limits.md); each missing field takes its default. */
  readonly limits?: Partial<ServerLimits>;
  /** Origins allowed to call the HTTP port from a browser ('*' = any); omit or empty for no CORS. */
  readonly corsOrigins?: readonly string[];
  /** The backends' health, reported as smarterbase.<subsystem> by the health service (rpc/services/health/health.ts); omit for none. */
  readonly backends?: SubsystemHealth;
}

/** The ports actually bound. */
export interface BoundPorts {
  readonly grpcPort: number;
  readonly httpPort: number;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Both servers of SmarterBase, started and stopped together. */
export class RpcServer {
  /** The health state; NOT_SERVING once shutdown begins, or while a backend it watches is down. */
  readonly health: HealthState;
  private readonly grpcServer: grpc.Server;
  private readonly connect: ConnectEndpoint;
  private readonly grpcShutdown = new AbortController();
  private readonly opts: RpcServerOptions;
  private readonly limits: ServerLimits;
  /** Calls in flight and Hold streams per connection, shared by both ports. */
  readonly admission: Admission;

  constructor(opts: RpcServerOptions) {
    this.opts = opts;
    const maxBytes = opts.maxMessageBytes ?? 4 * 1024 * 1024;
    const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.limits = limits;
    this.admission = new Admission(limits);
    const extra = optionalServices(opts, opts.logInternal).map((m) => ({ service: m.service, impl: admitCalls(m.service, m.impl, this.admission) }));
    this.health = new HealthState([DocumentService.typeName, ...extra.map((m) => m.service.typeName)], opts.backends);
    const documents = admitCalls(DocumentService, wrapErrors(DocumentService, createDocumentHandlers(opts.api, opts.logInternal), opts.logInternal), this.admission);
    const health = wrapErrors(Health, createHealthHandlers(this.health), opts.logInternal);
    const index = new ReflectionIndex(
      [DocumentService, ...extra.map((m) => m.service), Health, ...REFLECTION_SERVICES],
      [file_smarterbase_v1_common, file_google_rpc_error_details],
    );

    this.grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': maxBytes,
      'grpc.max_send_message_length': maxBytes,
      'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
      'grpc.max_connection_idle_ms': limits.idleConnectionTimeoutMs,
      'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    });
    answerUnknownMethods(this.grpcServer);
    detailTransportStatuses();
    const telemetry = opts.telemetry;
    const observed = <S extends DescService>(service: S, impl: ServiceImpl<S>, transport: 'grpc' | 'connect'): ServiceImpl<S> =>
      telemetry === undefined ? impl : observeCalls(service, impl, transport, telemetry);
    const mountOpts = { shutdownSignal: this.grpcShutdown.signal, logInternal: opts.logInternal, streamStallTimeoutMs: limits.streamStallTimeoutMs };
    mountGrpc(this.grpcServer, DocumentService, observed(DocumentService, documents, 'grpc'), mountOpts);
    for (const m of extra) mountGrpc(this.grpcServer, m.service, observed(m.service, m.impl, 'grpc'), mountOpts);
    mountGrpc(this.grpcServer, Health, observed(Health, health, 'grpc'), mountOpts);
    mountGrpc(this.grpcServer, REFLECTION_SERVICES[0], createReflectionV1(index), mountOpts);
    mountGrpc(this.grpcServer, REFLECTION_SERVICES[1], createReflectionV1alpha(index), mountOpts);

    const mounted = (service: DescService, impl: unknown): MountedService => ({ service, impl: impl as ServiceImpl<DescService> });
    this.connect = new ConnectEndpoint({
      services: [
        mounted(DocumentService, observed(DocumentService, documents, 'connect')),
        ...extra.map((m) => mounted(m.service, observed(m.service, m.impl, 'connect'))),
        mounted(Health, observed(Health, health, 'connect')),
      ],
      readMaxBytes: maxBytes,
      writeMaxBytes: maxBytes,
      compressMinBytes: 1024,
      logTransportError: opts.logTransportError,
      logInternal: opts.logInternal,
      limits,
      corsOrigins: opts.corsOrigins,
    });
  }

  /** Binds both ports and resolves to the ports bound. */
  async start(): Promise<BoundPorts> {
    const host = this.opts.host ?? '127.0.0.1';
    const grpcPort = await new Promise<number>((resolve, reject) => {
      this.grpcServer.bindAsync(hostPort(host, this.opts.grpcPort), grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) reject(err);
        else resolve(port);
      });
    });
    closeSilentConnections(this.grpcServer, this.limits.headersTimeoutMs);
    const httpPort = await this.connect.listen(host, this.opts.httpPort);
    return { grpcPort, httpPort };
  }

  /**
   * Graceful stop: health goes NOT_SERVING, both servers stop accepting new
   * calls, in-flight calls get up to `graceMs` to finish, then the rest are
   * cancelled (their signal fires) and connections closed.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.health.setNotServing();
    const grpcDone = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.grpcShutdown.abort();
        this.grpcServer.forceShutdown();
        resolve();
      }, graceMs);
      this.grpcServer.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await Promise.all([grpcDone, this.connect.shutdown(graceMs)]);
  }
}
