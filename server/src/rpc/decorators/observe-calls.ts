/**
 * The observability interceptor of both mounts: wraps every method of a
 * connect-style service implementation so that each call gets a server span
 * (a child of the W3C `traceparent` in the request headers or metadata, when
 * present) that is active while the handler runs, and is counted and timed
 * by service, method, gRPC status code and transport. It wraps the
 * error-translated implementation, so the status code recorded is the one
 * the client receives.
 */
import type { DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { openCallTally, type CallTally } from '../../common/call-tally.js';
import type { CounterCell } from '../../observability/cell-counter.js';
import type { RpcInstruments, RpcTransport } from '../../observability/metrics.js';
import { eachMethod, type AnyMethod } from './each-method.js';

/** What observeCalls records into. */
export interface RpcTelemetry {
  /** Counters and histograms of the catalogue (observability/metrics.ts). */
  readonly instruments: RpcInstruments;
  /** Makes the server spans. */
  readonly tracer: Tracer;
}

/** The gRPC status code of success. */
const OK = 0;

/** gRPC codes that mark a server span as failed (OpenTelemetry RPC conventions); the rest are the caller's doing. */
const SERVER_ERROR_CODES = new Set<number>([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

const headerGetter: TextMapGetter<Headers> = {
  keys: (h) => [...h.keys()],
  get: (h, key) => h.get(key) ?? undefined,
};

/** The gRPC status code of whatever a handler threw. */
export function statusCodeOf(err: unknown): number {
  return ConnectError.from(err).code;
}

/** The same implementation, with every call traced, counted and timed as `transport`. */
export function observeCalls<S extends DescService>(
  service: S,
  impl: ServiceImpl<S>,
  transport: RpcTransport,
  telemetry: RpcTelemetry,
): ServiceImpl<S> {
  return eachMethod(service, impl, (fn, method, streams): AnyMethod => {
    const base: Attributes = { 'rpc.system': 'grpc', 'rpc.service': service.typeName, 'rpc.method': method.name, transport };
    const spanName = `${service.typeName}/${method.name}`;
    const methodAttributes = { 'rpc.service': service.typeName, 'rpc.method': method.name, transport };
    const active = telemetry.instruments.active.cell(`${transport}/${spanName}`, methodAttributes);
    const storageRequests = telemetry.instruments.storageRequests.cell(`${transport}/${spanName}`, methodAttributes);
    // Per status code: the call count cell and the histogram's attributes, built on first use.
    const byCode = new Map<number, { readonly cell: CounterCell; readonly attributes: Attributes }>();
    const seriesOf = (code: number) => {
      let s = byCode.get(code);
      if (s === undefined) {
        const attributes = { ...base, 'rpc.grpc.status_code': code };
        s = { cell: telemetry.instruments.calls.cell(`${transport}/${spanName}/${code}`, attributes), attributes };
        byCode.set(code, s);
      }
      return s;
    };
    const begin = (ctx: HandlerContext): Call => {
      const parent = propagation.extract(ROOT_CONTEXT, ctx.requestHeader, headerGetter);
      const span = telemetry.tracer.startSpan(
        spanName,
        { kind: SpanKind.SERVER, attributes: { ...base, 'rpc.connect_rpc.protocol': ctx.protocolName } },
        parent,
      );
      active.add(1);
      return { span, ctx: trace.setSpan(parent, span), start: performance.now(), tally: openCallTally(ctx.signal) };
    };
    const finish = (call: Call, code: number, err?: unknown): void => {
      active.add(-1);
      if (call.tally.storageRequests > 0) storageRequests.add(call.tally.storageRequests);
      const series = seriesOf(code);
      series.cell.add();
      telemetry.instruments.duration.record((performance.now() - call.start) / 1000, series.attributes);
      call.span.setAttribute('rpc.grpc.status_code', code);
      if (SERVER_ERROR_CODES.has(code)) {
        call.span.setStatus({ code: SpanStatusCode.ERROR, message: err === undefined ? undefined : ConnectError.from(err).rawMessage });
      }
      call.span.end();
    };
    if (streams) return (input, ctx) => observeStream(() => fn(input, ctx) as AsyncIterable<unknown>, ctx, begin, finish);
    return async (input, ctx) => {
      const call = begin(ctx);
      try {
        const res = await context.with(call.ctx, () => fn(input, ctx));
        finish(call, OK);
        return res;
      } catch (e) {
        finish(call, statusCodeOf(e), e);
        throw e;
      }
    };
  });
}

/** One call being observed. */
interface Call {
  readonly span: Span;
  readonly ctx: Context;
  readonly start: number;
  /** The storage requests the call makes (counted by the storage request meter through the call's signal). */
  readonly tally: CallTally;
}

/**
 * Runs a streaming handler with its span active while it produces each
 * message; the call is finished with the error's code, CANCELLED when the
 * consumer stopped early because the call was aborted, else OK.
 */
async function* observeStream(
  start: () => AsyncIterable<unknown>,
  ctx: HandlerContext,
  begin: (ctx: HandlerContext) => Call,
  finish: (call: Call, code: number, err?: unknown) => void,
): AsyncGenerator<unknown> {
  const call = begin(ctx);
  let code: number | undefined;
  let error: unknown;
  try {
    const it = context.with(call.ctx, () => start()[Symbol.asyncIterator]());
    try {
      for (;;) {
        const r = await context.with(call.ctx, () => it.next());
        if (r.done === true) break;
        yield r.value;
      }
    } finally {
      // Stopped early (return): let the source clean up too.
      if (code === undefined) await it.return?.();
    }
    code = OK;
  } catch (e) {
    code = statusCodeOf(e);
    error = e;
    throw e;
  } finally {
    finish(call, code ?? (ctx.signal.aborted ? Code.Canceled : OK), error);
  }
}
