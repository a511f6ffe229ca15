/**
 * Every RPC of SmarterBase, enumerated from the generated service
 * descriptors (a new RPC is fuzzed without touching the suite), and one
 * fuzz call through a stock connect-node transport with a deadline, judged
 * by the rules of issue 8: no INTERNAL / UNKNOWN / DATA_LOSS, every server
 * error carries a google.rpc.ErrorInfo of domain smarterbase.v1, no hang
 * past the deadline.
 */
import {
  fromJson,
  toBinary,
  toJson,
  type DescMessage,
  type DescMethod,
  type DescService,
  type JsonValue,
  type Message,
} from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { Agent } from 'node:http';
import { createRegistry } from '@bufbuild/protobuf';
import { ErrorInfoSchema, file_google_rpc_error_details } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { AdminService } from '../../server/src/gen/smarterbase/v1/admin_service_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { LockService } from '../../server/src/gen/smarterbase/v1/lock_service_pb.js';
import { QueryService } from '../../server/src/gen/smarterbase/v1/query_service_pb.js';

/** The services of the public contract. */
export const FUZZED_SERVICES: readonly DescService[] = [DocumentService, QueryService, AdminService, LockService];

/** Every method of every fuzzed service. */
export const FUZZED_METHODS: readonly DescMethod[] = FUZZED_SERVICES.flatMap((s) => s.methods);

/** The HTTP path of `method` (/package.Service/Method). */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** The domain every ErrorInfo of SmarterBase carries. */
export const DOMAIN = 'smarterbase.v1';

/** Status codes that mean the server failed rather than the request: never acceptable. */
export const FORBIDDEN_CODES: ReadonlySet<string> = new Set(['INTERNAL', 'UNKNOWN', 'DATA_LOSS']);

/** A protocol the structured fuzz speaks, with the port it targets. */
export type Protocol = 'grpc' | 'connect-proto' | 'connect-json';

/** One transport per protocol against one server's two ports, and a way to close their connections. */
export interface FuzzTransports {
  readonly byProtocol: Record<Protocol, Transport>;
  /** Closes every connection the transports opened. */
  close(): void;
}

/**
 * gRPC over HTTP/2 to the grpc port, Connect binary over HTTP/1.1 and
 * Connect JSON over HTTP/2 to the HTTP port. The JSON client knows the
 * error detail types (a BatchWrite result's google.rpc.Status packs them).
 */
export function fuzzTransports(grpcPort: number, httpPort: number): FuzzTransports {
  const grpcUrl = `http://127.0.0.1:${grpcPort}`;
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const sessions = [new Http2SessionManager(grpcUrl), new Http2SessionManager(httpUrl)];
  const agent = new Agent({ keepAlive: true });
  const registry = createRegistry(file_google_rpc_error_details);
  return {
    byProtocol: {
      grpc: createGrpcTransport({ baseUrl: grpcUrl, sessionManager: sessions[0] }),
      'connect-proto': createConnectTransport({ baseUrl: httpUrl, httpVersion: '1.1', useBinaryFormat: true, nodeOptions: { agent } }),
      'connect-json': createConnectTransport({
        baseUrl: httpUrl,
        httpVersion: '2',
        useBinaryFormat: false,
        sessionManager: sessions[1],
        jsonOptions: { registry },
      }),
    },
    close() {
      for (const s of sessions) s.abort();
      agent.destroy();
    },
  };
}

/** What one fuzz call came to. */
export interface CallOutcome {
  /** A status code name (OK, INVALID_ARGUMENT, …), or UNENCODABLE when the client could not build the request, or HANG. */
  readonly code: string;
  readonly message?: string;
  /** ErrorInfo reason and domain of a failed call (absent when none was sent). */
  readonly reason?: string;
  readonly domain?: string;
  /** Wall-clock time of the call, in ms. */
  readonly ms: number;
  /** True when the suite itself cancelled a stream after reading enough of it. */
  readonly cancelledByTest?: boolean;
}

/** Upper-snake name of a connect Code (Code.InvalidArgument → INVALID_ARGUMENT). */
export function codeName(code: Code): string {
  return Code[code]
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .replace('CANCELED', 'CANCELLED');
}

/** Options of one fuzz call. */
export interface CallOptions {
  /** The deadline sent with the call, in ms. */
  readonly deadlineMs: number;
  /** Extra time past the deadline before the call counts as hung, in ms. */
  readonly slackMs: number;
  /** Server-stream messages read before the suite cancels the stream. */
  readonly streamMessages: number;
  /** How long a server stream is read after its first message before the suite cancels it, in ms (a Hold streams until cancelled). */
  readonly streamWindowMs: number;
}

/** Builds the message of `json`, or undefined when the client library refuses it for `protocol`. */
export function buildRequest(input: DescMessage, json: JsonValue, protocol: Protocol): Message | undefined {
  try {
    const msg = fromJson(input, json);
    if (protocol === 'connect-json') toJson(input, msg);
    else toBinary(input, msg);
    return msg;
  } catch {
    return undefined;
  }
}

/** Sends `request` to `method` over `transport` and reports what happened (never throws). */
export async function fuzzCall(transport: Transport, method: DescMethod, request: Message, opts: CallOptions): Promise<CallOutcome> {
  const started = Date.now();
  const abort = new AbortController();
  let cancelledByTest = false;
  let window: NodeJS.Timeout | undefined;
  const run = async (): Promise<CallOutcome> => {
    const client = createClient(method.parent, transport) as unknown as Record<string, (req: Message, o: object) => unknown>;
    try {
      const call = client[method.localName]!(request, { timeoutMs: opts.deadlineMs, signal: abort.signal });
      if (method.methodKind === 'server_streaming') {
        let n = 0;
        const stop = (): void => {
          cancelledByTest = true;
          abort.abort();
        };
        try {
          for await (const _ of call as AsyncIterable<unknown>) {
            if (++n >= opts.streamMessages) {
              stop();
              break;
            }
            if (n === 1) window = setTimeout(stop, opts.streamWindowMs);
          }
        } finally {
          clearTimeout(window);
        }
      } else {
        await call;
      }
      return { code: 'OK', ms: Date.now() - started, cancelledByTest };
    } catch (e) {
      const err = ConnectError.from(e);
      const info = err.findDetails(ErrorInfoSchema)[0];
      return {
        code: codeName(err.code),
        message: err.rawMessage,
        reason: info?.reason,
        domain: info?.domain,
        ms: Date.now() - started,
        cancelledByTest,
      };
    }
  };
  let guard: NodeJS.Timeout | undefined;
  const hang = new Promise<CallOutcome>((resolve) => {
    guard = setTimeout(() => {
      abort.abort();
      resolve({ code: 'HANG', ms: Date.now() - started });
    }, opts.deadlineMs + opts.slackMs);
  });
  try {
    return await Promise.race([run(), hang]);
  } finally {
    clearTimeout(guard);
  }
}

/**
 * Why `outcome` breaks the rules, or undefined when it does not. Errors the
 * client made itself (its own deadline, its own cancel) need no ErrorInfo.
 */
export function judge(outcome: CallOutcome, deadlineMs: number): string | undefined {
  if (outcome.code === 'HANG') return 'no answer by the deadline + slack';
  if (FORBIDDEN_CODES.has(outcome.code)) return `status ${outcome.code}`;
  if (outcome.code === 'OK' || outcome.code === 'UNENCODABLE') return undefined;
  if (outcome.cancelledByTest && outcome.code === 'CANCELLED') return undefined;
  if (outcome.code === 'DEADLINE_EXCEEDED' && outcome.ms >= deadlineMs - 50) return undefined;
  if (outcome.domain === undefined) return `${outcome.code} without ErrorInfo`;
  if (outcome.domain !== DOMAIN) return `${outcome.code} with ErrorInfo domain ${outcome.domain}`;
  return undefined;
}
