/**
 * The one place that builds the servers: a grpc-js server (every service of
 * the registration list rpc/services/index.ts — DocumentService; QueryService,
 * AdminService and LockService when given their engines; Health — plus
 * Reflection v1 + v1alpha) and a connect-node server (Connect, gRPC-Web,
 * gRPC over h2c: the same services but reflection). Each service goes
 * through the one decorator chain (rpc/decorators/chain.ts) on each port;
 * message size and connection limits default to the settings table. With
 * `tls`, both ports serve TLS from the same reloaded material (rpc/tls/).
 */
import * as grpc from '@grpc/grpc-js';
import { numericDefault, stringDefault } from '../../config/settings.js';
import { RequestDecoder } from '../decode-pool.js';
import { file_google_rpc_error_details } from '../../gen/google/rpc/error_details_pb.js';
import { file_smarterbase_v1_common } from '../../gen/smarterbase/v1/common_pb.js';
import { ConnectEndpoint } from '../connect-mount.js';
import type { InternalErrorLogger } from '../error-table.js';
import { mountGrpc } from '../grpc-mount.js';
import { widenFlowControl } from '../grpc-flow-control.js';
import { answerUnknownMethods, closeSilentConnections, detailTransportStatuses, disableNagle, trackSessions } from '../grpc-js-hooks.js';
import { Admission } from '../decorators/admission.js';
import { decorate, type CallChain } from '../decorators/chain.js';
import type { CallAuth } from '../decorators/authorise-calls.js';
import { StreamSlots, type PrincipalLimits } from '../decorators/principal-limits.js';
import { authenticatedOnly } from '../decorators/authenticated-only.js';
import type { RpcTelemetry } from '../decorators/observe-calls.js';
import { registerServices, type ServiceEngines } from '../services/index.js';
import type { HealthState } from '../services/health/health.js';
import { createReflectionV1, createReflectionV1alpha, REFLECTION_SERVICES, ReflectionIndex } from '../services/reflection/reflection.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_MESSAGE_BYTES, type ServerLimits } from '../limits.js';
import { typedService } from '../typed-service.js';
import { refuseUnverifiedOnGrpc } from '../tls/client-auth.js';
import type { ServerTls } from '../tls/server-tls.js';

/** Options of RpcServer. */
export interface RpcServerOptions extends ServiceEngines {
  /** Interface to bind both ports to (default: the settings table's host, 127.0.0.1). */
  readonly host?: string;
  /** gRPC port; 0 picks a free one. */
  readonly grpcPort: number;
  /** HTTP (Connect / gRPC-Web / h2c gRPC) port; 0 picks a free one. */
  readonly httpPort: number;
  /** Largest message received or sent, in bytes (default: the settings table's maxMessageBytes, 5 MiB). */
  readonly maxMessageBytes?: number;
  /** The encoded-document limit, checked by the decode workers before a large request reaches the engine (default: the settings table's maxDocumentBytes). */
  readonly maxDocumentBytes?: number;
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
  /** Authenticates and authorises every call but Health (docs/adr/0015); omit when auth is off. */
  readonly auth?: CallAuth;
  /** Per-principal rate and stream limits, applied inside authentication (docs/security.md, "Limits"); omit for none. */
  readonly principalLimits?: PrincipalLimits;
  /** With auth: whether reflection needs an authenticated caller ('authenticated', the default) or is open. */
  readonly reflection?: 'open' | 'authenticated';
  /** TLS on both ports (and mTLS when it has a client CA), reloaded as its files change; omit for plaintext. */
  readonly tls?: ServerTls;
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
  /** The grpc-js port's live sessions, when grpc-js lets us count them. */
  private grpcSessions: { live(): number } | undefined;
  /** Decodes request messages of both ports, large ones in worker threads. */
  private readonly decoder: RequestDecoder;

  constructor(opts: RpcServerOptions) {
    this.opts = opts;
    const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.limits = limits;
    this.admission = new Admission(limits);
    this.decoder = new RequestDecoder({
      offloadBytes: limits.decodeOffloadBytes,
      workers: limits.decodeWorkers,
      maxQueued: limits.decodeMaxQueued,
      maxDocumentBytes: opts.maxDocumentBytes ?? numericDefault('maxDocumentBytes'),
    });
    const { services, health } = registerServices(opts);
    this.health = health;
    const chain: CallChain = {
      logInternal: opts.logInternal,
      telemetry: opts.telemetry,
      admission: this.admission,
      auth: opts.auth,
      ...(opts.principalLimits === undefined ? {} : { limits: { limits: opts.principalLimits, slots: new StreamSlots() } }),
    };
    const index = new ReflectionIndex(
      [...services.map((s) => s.service), ...REFLECTION_SERVICES],
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
    const mountOpts = {
      shutdownSignal: this.grpcShutdown.signal,
      logInternal: opts.logInternal,
      streamStallTimeoutMs: limits.streamStallTimeoutMs,
      decoder: this.decoder,
    };
    for (const s of services) {
      s.with((service, impl) => mountGrpc(this.grpcServer, service, decorate(service, impl, chain, 'grpc', s.admitted), mountOpts));
    }
    // Reflection describes the services above; it is served on the gRPC port only, undecorated.
    // With auth on, reflection needs a caller unless opened by setting (authReflection).
    const guard = opts.auth !== undefined && opts.reflection !== 'open' ? opts.auth : undefined;
    mountGrpc(
      this.grpcServer,
      REFLECTION_SERVICES[0],
      authenticatedOnly(REFLECTION_SERVICES[0], createReflectionV1(index), guard, opts.logInternal),
      mountOpts,
    );
    mountGrpc(
      this.grpcServer,
      REFLECTION_SERVICES[1],
      authenticatedOnly(REFLECTION_SERVICES[1], createReflectionV1alpha(index), guard, opts.logInternal),
      mountOpts,
    );

    this.connect = new ConnectEndpoint({
      services: services.map((s) =>
        s.with((service, impl) =>
          typedService(service, decorate(service, impl, chain, 'connect', s.admitted), { incompressible: s.incompressible }),
        ),
      ),
      readMaxBytes: maxBytes,
      writeMaxBytes: maxBytes,
      logTransportError: opts.logTransportError,
      logInternal: opts.logInternal,
      limits,
      decoder: this.decoder,
      corsOrigins: opts.corsOrigins,
      tls: opts.tls,
    });
  }

  /** Binds both ports and resolves to the ports bound. */
  async start(): Promise<BoundPorts> {
    const host = this.opts.host ?? stringDefault('host');
    const credentials = this.opts.tls?.grpcCredentials() ?? grpc.ServerCredentials.createInsecure();
    const grpcPort = await new Promise<number>((resolve, reject) => {
      this.grpcServer.bindAsync(hostPort(host, this.opts.grpcPort), credentials, (err, port) => {
        if (err) reject(err);
        else resolve(port);
      });
    });
    closeSilentConnections(this.grpcServer, this.limits.headersTimeoutMs);
    disableNagle(this.grpcServer);
    widenFlowControl(this.grpcServer);
    this.grpcSessions = trackSessions(this.grpcServer);
    if (this.opts.tls?.requestClientCertificate === true && !this.opts.tls.requireClientCertificate) {
      if (!refuseUnverifiedOnGrpc(this.grpcServer)) throw new Error('grpc-js offers no hook to refuse unverified client certificates');
    }
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
      const finish = (force: boolean): void => {
        clearTimeout(timer);
        clearInterval(poll);
        if (force) {
          this.grpcShutdown.abort();
          this.grpcServer.forceShutdown();
        }
        resolve();
      };
      const timer = setTimeout(() => finish(true), graceMs);
      // No call of ours left and no live session: tryShutdown may still wait for a session the client
      // already destroyed (grpc-js-hooks.ts trackSessions); forcing then cuts nothing.
      const poll = setInterval(() => {
        if (this.admission.callsInFlight() === 0 && this.grpcSessions?.live() === 0) finish(true);
      }, 50);
      this.grpcServer.tryShutdown(() => finish(false));
    });
    await Promise.all([grpcDone, this.connect.shutdown(graceMs)]);
    await this.decoder.close();
  }
}
