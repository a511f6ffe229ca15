/**
 * The engine's view of a call: the connect HandlerContext every handler
 * receives (on both mounts) becomes the transport-free CallContext the
 * engine APIs take. Shared by every service's handlers, so no handler file
 * imports another.
 */
import type { HandlerContext } from '@connectrpc/connect';
import type { CallContext } from '../../api/call-context.js';

/** The engine CallContext of a connect handler context (signal and absolute deadline). */
export function callContextOf(ctx: HandlerContext): CallContext {
  const timeoutMs = ctx.timeoutMs();
  return timeoutMs === undefined ? { signal: ctx.signal } : { signal: ctx.signal, deadlineMs: Date.now() + timeoutMs };
}
