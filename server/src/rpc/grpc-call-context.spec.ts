import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { Code, ConnectError } from '@connectrpc/connect';
import { DocumentService } from '../gen/smarterbase/v1/document_service_pb.js';
import { grpcCallContext, type ContextCall } from './grpc-call-context.js';
import { CONNECTION_KEY } from './limits.js';

function fakeCall(deadline: grpc.Deadline = Infinity): ContextCall & EventEmitter {
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  metadata.set('x-bin', Buffer.from([1, 2]));
  return Object.assign(new EventEmitter(), { getDeadline: () => deadline, getPeer: () => 'ipv4:127.0.0.1:5000', metadata });
}

const get = DocumentService.method.get;
const codeOf = (signal: AbortSignal): Code | undefined => (signal.reason instanceof ConnectError ? signal.reason.code : undefined);

describe('grpcCallContext', () => {
  it('describes the call and builds headers and values on demand', () => {
    const ctx = grpcCallContext(DocumentService, get, fakeCall());
    expect([ctx.url, ctx.protocolName, ctx.requestMethod, ctx.timeoutMs()]).toEqual([
      '/smarterbase.v1.DocumentService/Get',
      'grpc',
      'POST',
      undefined,
    ]);
    expect(ctx.requestHeader.get('traceparent')).toMatch(/^00-0af7/);
    expect(ctx.requestHeader.has('x-bin')).toBe(false);
    expect(ctx.values.get(CONNECTION_KEY)).toBe('ipv4:127.0.0.1:5000');
    ctx.responseHeader.set('a', 'b');
    expect(ctx.responseHeader.get('a')).toBe('b');
    ctx.finish();
  });

  it('aborts with DEADLINE_EXCEEDED at the deadline, at once when it has passed, and reports the time left', async () => {
    const ctx = grpcCallContext(DocumentService, get, fakeCall(Date.now() + 40));
    expect(ctx.timeoutMs()).toBeGreaterThan(0);
    expect(ctx.signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 80));
    expect(codeOf(ctx.signal)).toBe(Code.DeadlineExceeded);
    expect(codeOf(grpcCallContext(DocumentService, get, fakeCall(new Date(Date.now() - 1))).signal)).toBe(Code.DeadlineExceeded);
  });

  it('aborts CANCELED when the client cancels a running call, and ignores the cancel grpc-js emits after a finished one', () => {
    const running = fakeCall();
    const a = grpcCallContext(DocumentService, get, running);
    running.emit('cancelled');
    expect([a.signal.aborted, codeOf(a.signal), a.signal.reason.message]).toEqual([
      true,
      Code.Canceled,
      '[canceled] the client cancelled the call',
    ]);
    const done = fakeCall();
    const b = grpcCallContext(DocumentService, get, done);
    b.finish();
    const reason = b.signal.reason;
    done.emit('cancelled');
    expect(b.signal.reason).toBe(reason);
    expect(reason.message).toContain('the call has finished');
  });

  it('follows the shutdown signal while the call runs, and lets go of it when the call finishes', () => {
    const shutdown = new AbortController();
    const ctx = grpcCallContext(DocumentService, get, fakeCall(), shutdown.signal);
    shutdown.abort(new ConnectError('server is shutting down', Code.Unavailable));
    expect(codeOf(ctx.signal)).toBe(Code.Unavailable);

    const later = new AbortController();
    const listeners = () => EventEmitter.getEventListeners(later.signal, 'abort').length;
    const before = listeners();
    const finished = grpcCallContext(DocumentService, get, fakeCall(), later.signal);
    expect(listeners()).toBe(before + 1);
    finished.finish();
    expect(listeners()).toBe(before);
    const already = grpcCallContext(DocumentService, get, fakeCall(), shutdown.signal);
    expect(codeOf(already.signal)).toBe(Code.Unavailable);
  });
});
