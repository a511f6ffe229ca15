/**
 * The authorisation step of the decorator chain (chain.ts; docs/adr/0015):
 * authenticates the caller, then checks the method's rule
 * (rpc/auth/method-permissions.ts) against the request — for a client stream,
 * against its first message, before the handler sees any — and only then
 * calls the handler. It sits outside admission, so an unauthenticated flood
 * never takes a call slot. Refusals are DbErrors (UNAUTHENTICATED,
 * PERMISSION_DENIED) converted by the error step like any other. A method
 * without a rule is refused: the check fails closed.
 */
import type { DescService } from '@bufbuild/protobuf';
import { createContextKey, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { trace } from '@opentelemetry/api';
import { checkAllowed, checkAllowedSome } from '../../access/access-check.js';
import type { AuditEvent } from '../../access/audit.js';
import { resourceText } from '../../access/access-model.js';
import type { Caller } from '../../access/authenticator.js';
import { DbError, isDbError } from '../../errors/db-error.js';
import { ruleOf, type MethodRule, type Need } from '../auth/method-permissions.js';
import { eachMethod } from './each-method.js';

/** The authenticated caller of a call, for the steps inside this one (principal limits) and handlers; undefined before it or with auth off. */
export const CALLER_KEY = createContextKey<Caller | undefined>(undefined, { description: 'smarterbase authenticated caller' });

/** What the step needs from the composition (rpc/auth/call-auth.ts builds it). */
export interface CallAuth {
  /** The caller of the call, or throws an UNAUTHENTICATED DbError. */
  authenticate(ctx: HandlerContext): Promise<Caller>;
  /** Receives audit records; omit for none. */
  readonly audit?: (event: AuditEvent) => void;
  /**
   * The collection of a resumable upload, or undefined for an id it does not
   * know (upload rules then need their verb on some collection only). Omit:
   * every upload id counts as unknown.
   */
  readonly uploadCollection?: (uploadId: string) => Promise<string | undefined>;
}

/** `rule` with an upload rule replaced by what it needs for `request`'s upload id. */
async function resolved(rule: MethodRule, request: unknown, auth: CallAuth): Promise<MethodRule> {
  if (!('upload' in rule)) return rule;
  const { verb } = rule.upload;
  const uploadId = (request as { uploadId?: unknown }).uploadId;
  const name = typeof uploadId === 'string' && uploadId !== '' ? await auth.uploadCollection?.(uploadId) : undefined;
  if (name === undefined) return { some: { verb, kind: 'collection' } };
  return { needs: () => [{ verb, resource: { kind: 'collection', name } }] };
}

function traceId(): string | undefined {
  const id = trace.getActiveSpan()?.spanContext().traceId;
  return id === undefined || /^0+$/.test(id) ? undefined : id;
}

function needText(n: Need): string {
  return `${n.verb} ${resourceText(n.resource)}`;
}

/** Applies `rule` to `caller` and `request`; audits the outcome. */
async function check(caller: Caller, declared: MethodRule, request: unknown, method: string, auth: CallAuth): Promise<void> {
  const rule = await resolved(declared, request, auth);
  if ('open' in rule || 'upload' in rule) return; // resolved() leaves no upload rule
  let needs: readonly Need[] = [];
  try {
    if ('some' in rule) checkAllowedSome(caller, rule.some.verb, rule.some.kind);
    else {
      needs = rule.needs(request);
      const verbs = [...new Set(needs.map((n) => n.verb))];
      for (const verb of verbs)
        checkAllowed(
          caller,
          verb,
          needs.filter((n) => n.verb === verb).map((n) => n.resource),
        );
    }
  } catch (e) {
    if (isDbError(e, 'PERMISSION_DENIED'))
      auth.audit?.({
        outcome: 'denied',
        method,
        principal: caller.principal,
        resources: needs.map(needText),
        reason: e.reason,
        traceId: traceId(),
      });
    throw e;
  }
  if (needs.some((n) => n.verb === 'admin'))
    auth.audit?.({ outcome: 'allowed', method, principal: caller.principal, resources: needs.map(needText), traceId: traceId() });
}

async function authenticate(ctx: HandlerContext, method: string, auth: CallAuth): Promise<Caller> {
  try {
    return await auth.authenticate(ctx);
  } catch (e) {
    if (isDbError(e) && e.kind === 'unauthenticated')
      auth.audit?.({ outcome: 'unauthenticated', method, resources: [], reason: e.reason, traceId: traceId() });
    throw e;
  }
}

/** `input` with its first message checked by `checkFirst` before anything reaches the handler. */
async function checkedStream(
  input: AsyncIterable<unknown>,
  checkFirst: (first: unknown) => Promise<void>,
): Promise<AsyncIterable<unknown>> {
  const it = input[Symbol.asyncIterator]();
  const first = await it.next();
  // An empty stream touches nothing; the handler answers it.
  if (first.done === true) return (async function* () {})();
  await checkFirst(first.value);
  return (async function* () {
    yield first.value;
    for (;;) {
      const next = await it.next();
      if (next.done === true) return;
      yield next.value;
    }
  })();
}

/** `impl` with every call authenticated and authorised first (open methods untouched). */
export function authoriseCalls<S extends DescService>(service: S, impl: ServiceImpl<S>, auth: CallAuth): ServiceImpl<S> {
  return eachMethod(service, impl, (fn, method, streams) => {
    const rule = ruleOf(service.typeName, method.name);
    if (rule !== undefined && 'open' in rule) return fn;
    const procedure = `/${service.typeName}/${method.name}`;
    const clientStreams = method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming';
    const admit = async (input: unknown, ctx: HandlerContext): Promise<unknown> => {
      const caller = await authenticate(ctx, procedure, auth);
      ctx.values.set(CALLER_KEY, caller);
      if (rule === undefined)
        throw new DbError('permission_denied', 'PERMISSION_DENIED', `${procedure} has no permission rule; it is refused`, {
          metadata: { principal: caller.principal, verb: 'admin', resource: `method:${procedure}` },
        });
      if (clientStreams && !('some' in rule))
        return checkedStream(input as AsyncIterable<unknown>, (first) => check(caller, rule, first, procedure, auth));
      await check(caller, rule, input, procedure, auth);
      return input;
    };
    if (streams)
      return (input, ctx) =>
        (async function* () {
          yield* fn(await admit(input, ctx), ctx) as AsyncIterable<unknown>;
        })();
    return async (input, ctx) => fn(await admit(input, ctx), ctx);
  });
}
