/**
 * The audit step of the decorator chain (decorators/chain.ts), just outside
 * the error step, so it sees each call's final status: every call of an
 * administrative service (AdminService, AccessService) is recorded with its
 * outcome, and every call refused with UNAUTHENTICATED or PERMISSION_DENIED
 * on any service, with the verb and resource the refusal names in its
 * ErrorInfo (observability/audit-log.ts writes them).
 */
import type { DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { trace } from '@opentelemetry/api';
import { ErrorInfoSchema } from '../../gen/google/rpc/error_details_pb.js';
import type { AuditEvent, AuditLog } from '../../observability/audit-log.js';
import { CONNECTION_KEY } from '../limits.js';
import { eachMethod } from './each-method.js';

/** `PermissionDenied` → `permission_denied`. */
function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The services whose every call is an admin action. */
export const AUDITED_SERVICES: ReadonlySet<string> = new Set(['smarterbase.v1.AdminService', 'smarterbase.v1.AccessService']);

/** Request fields that name what an admin call is about, first found wins. */
const RESOURCE_FIELDS = ['collection', 'keyId', 'role', 'principal', 'name', 'index'];

/** What the step needs. */
export interface AuditOptions {
  readonly audit: AuditLog;
  /** The call's authenticated principal, when authentication found one. */
  principalOf(ctx: HandlerContext): string | undefined;
}

/** The trace id of the call: its active span's, else the client's `traceparent` header's. */
function traceIdOf(ctx: HandlerContext): string | undefined {
  const span = trace.getActiveSpan()?.spanContext();
  if (span !== undefined && span.traceId !== '00000000000000000000000000000000') return span.traceId;
  const parent = ctx.requestHeader.get('traceparent');
  return parent?.split('-')[1];
}

/** The first string field of `input` that names a resource, as `field=value`. */
function resourceOf(input: unknown): string | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const rec = input as Record<string, unknown>;
  for (const f of RESOURCE_FIELDS) {
    const v = rec[f];
    if (typeof v === 'string' && v !== '') return `${f}=${v}`;
  }
  return undefined;
}

/** `impl` with its admin calls (when `service` is audited) and its refused calls recorded. */
export function auditCalls<S extends DescService>(service: S, impl: ServiceImpl<S>, o: AuditOptions): ServiceImpl<S> {
  const admin = AUDITED_SERVICES.has(service.typeName);
  return eachMethod(service, impl, (fn, method, streams) => {
    const name = `${service.typeName}/${method.name}`;
    const record = (input: unknown, ctx: HandlerContext, err?: unknown): void => {
      const e = err === undefined ? undefined : ConnectError.from(err);
      const refused = e?.code === Code.Unauthenticated ? 'unauthenticated' : e?.code === Code.PermissionDenied ? 'denied' : undefined;
      if (refused === undefined && !admin) return;
      const meta = e?.findDetails(ErrorInfoSchema)[0]?.metadata ?? {};
      const principal = o.principalOf(ctx);
      const traceId = traceIdOf(ctx);
      const resource = meta.resource ?? resourceOf(input);
      const peer = ctx.values.get(CONNECTION_KEY);
      const event: AuditEvent = {
        kind: refused ?? 'admin',
        method: name,
        outcome: e === undefined ? 'ok' : codeName(e.code),
        ...(principal === undefined ? {} : { principal }),
        ...(resource === undefined ? {} : { resource }),
        ...(meta.verb === undefined ? {} : { verb: meta.verb }),
        ...(traceId === undefined ? {} : { traceId }),
        ...(peer === '' ? {} : { peer }),
      };
      o.audit.record(event);
    };
    if (streams) {
      return (input, ctx) =>
        (async function* () {
          try {
            yield* fn(input, ctx) as AsyncIterable<unknown>;
            record(input, ctx);
          } catch (e) {
            record(input, ctx, e);
            throw e;
          }
        })();
    }
    return async (input, ctx) => {
      try {
        const res = await fn(input, ctx);
        record(input, ctx);
        return res;
      } catch (e) {
        record(input, ctx, e);
        throw e;
      }
    };
  });
}
