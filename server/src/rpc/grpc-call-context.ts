/**
 * The connect HandlerContext of a call on the grpc-js mount, made for the
 * fast path: one AbortController per call, fired by the call's deadline, by
 * a client cancel, or by the server's shutdown signal; headers and context
 * values built only when a handler asks for them.
 *
 * connect's createHandlerContext, used before, cost a tenth of the server's
 * CPU on a Get (docs/benchmarks.md, "Per-call CPU"): three AbortControllers
 * and five Headers per call, a DOMException built by the abort that ends
 * every call, and a ConnectError by grpc-js's 'cancelled' event, which it
 * also emits after a call completed normally.
 */
import type * as grpc from '@grpc/grpc-js';
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, createContextValues, type ContextValues, type HandlerContext } from '@connectrpc/connect';
import { CONNECTION_KEY } from './limits.js';
import { PEER_KEY, peerOfGrpcCall, type AuthContextCall } from './tls/peer.js';

/** The reason of the abort that ends a call normally: made once (an abort without a reason builds a DOMException). */
const CALL_FINISHED = new ConnectError('the call has finished', Code.Canceled);

/** A grpc-js server call of any kind, as far as its context goes. */
export interface ContextCall extends Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getDeadline' | 'getPeer' | 'metadata'>, AuthContextCall {
  on(event: 'cancelled', listener: () => void): unknown;
}

/** A HandlerContext the mount owns: finish() ends it (clears the deadline timer, detaches from the shutdown signal, aborts). */
export interface OwnedContext extends HandlerContext {
  finish(): void;
}

/** The context of `call` (see the file comment). */
export function grpcCallContext(service: DescService, method: DescMethod, call: ContextCall, shutdownSignal?: AbortSignal): OwnedContext {
  return new GrpcCallContext(service, method, call, shutdownSignal);
}

class GrpcCallContext implements OwnedContext {
  readonly signal: AbortSignal;
  readonly requestMethod = 'POST';
  readonly protocolName = 'grpc';
  readonly url: string;
  private readonly controller = new AbortController();
  private readonly deadlineAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private headers: Headers | undefined;
  private resHeader: Headers | undefined;
  private resTrailer: Headers | undefined;
  private contextValues: ContextValues | undefined;

  constructor(
    readonly service: DescService,
    readonly method: DescMethod,
    private readonly call: ContextCall,
    private readonly shutdownSignal: AbortSignal | undefined,
  ) {
    this.signal = this.controller.signal;
    this.url = `/${service.typeName}/${method.name}`;
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    if (Number.isFinite(deadlineMs)) {
      this.deadlineAt = deadlineMs;
      const left = deadlineMs - Date.now();
      if (left <= 0) this.timedOut();
      else this.timer = setTimeout(this.timedOut, left);
    }
    call.on('cancelled', this.cancelled);
    if (shutdownSignal?.aborted) this.controller.abort(shutdownSignal.reason);
    else shutdownSignal?.addEventListener('abort', this.shutdown);
  }

  readonly timeoutMs = (): number | undefined => (this.deadlineAt === undefined ? undefined : this.deadlineAt - Date.now());

  /** The request metadata as Headers (text entries; built on first use). */
  get requestHeader(): Headers {
    if (this.headers === undefined) {
      this.headers = new Headers();
      for (const [k, v] of Object.entries(this.call.metadata.getMap())) {
        if (typeof v === 'string') this.headers.set(k, v);
      }
    }
    return this.headers;
  }

  get responseHeader(): Headers {
    return (this.resHeader ??= new Headers());
  }

  get responseTrailer(): Headers {
    return (this.resTrailer ??= new Headers());
  }

  /** Context values: CONNECTION_KEY is the call's connection (for per-connection limits), PEER_KEY its verified client certificate. */
  get values(): ContextValues {
    return (this.contextValues ??= createContextValues().set(CONNECTION_KEY, this.call.getPeer()).set(PEER_KEY, peerOfGrpcCall(this.call)));
  }

  finish(): void {
    this.finished = true;
    clearTimeout(this.timer);
    this.shutdownSignal?.removeEventListener('abort', this.shutdown);
    if (!this.signal.aborted) this.controller.abort(CALL_FINISHED);
  }

  private readonly timedOut = (): void => {
    if (!this.signal.aborted) this.controller.abort(new ConnectError('the operation timed out', Code.DeadlineExceeded));
  };

  private readonly cancelled = (): void => {
    if (!this.finished && !this.signal.aborted) this.controller.abort(new ConnectError('the client cancelled the call', Code.Canceled));
  };

  private readonly shutdown = (): void => {
    if (!this.signal.aborted) this.controller.abort(this.shutdownSignal?.reason);
  };
}
