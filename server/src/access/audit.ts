/**
 * Audit records of access control (docs/security.md, "Audit"): every call
 * needing the admin verb that was allowed, and every call refused for want
 * of credentials or permission, as one structured log line each.
 */

/** One audit record. */
export interface AuditEvent {
  /** "allowed" (calls needing the admin verb), "denied" or "unauthenticated". */
  readonly outcome: 'allowed' | 'denied' | 'unauthenticated';
  /** The procedure, "/smarterbase.v1.AccessService/CreateApiKey". */
  readonly method: string;
  /** The caller's principal, when known. */
  readonly principal?: string;
  /** The verbs and resources the call needed ("admin access", "write collection:orders"). */
  readonly resources: readonly string[];
  /** The error's reason, for refusals. */
  readonly reason?: string;
  /** The call's trace id, when tracing is on. */
  readonly traceId?: string;
}

/** Where audit records go: a pino-style logger's info method. */
export interface AuditLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** An audit sink writing each record as one log line, with its time (pino adds it) and an `audit: true` field to filter on. */
export function auditTo(log: AuditLog): (event: AuditEvent) => void {
  return (event) => {
    const fields = { audit: true, ...event };
    if (event.outcome === 'allowed') log.info(fields, 'admin call allowed');
    else log.warn(fields, event.outcome === 'denied' ? 'call denied' : 'call unauthenticated');
  };
}
