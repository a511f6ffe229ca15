/**
 * Audit records of access control (docs/security.md, "Audit"): every call
 * needing the admin verb that was allowed, and every call refused for want
 * of credentials or permission, as one structured log line each, and with
 * SB_AUDIT_LOG also appended to that SmarterBase log. Those appends are fire
 * and forget with at most MAX_PENDING_APPENDS in flight; beyond that records
 * are left out of the log (never out of the log lines), counted, and the
 * drop reported at most every 10 s, so a flood of refused calls cannot grow
 * memory without bound.
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

/** Appends one JSON line to the audit log (a LogEngine append in production). */
export type AuditAppend = (line: string) => Promise<unknown>;

/** Most audit appends in flight; more records are left out of the audit log (counted). */
export const MAX_PENDING_APPENDS = 1000;

/** Where a sink's appends stand (for tests and reports). */
export interface AuditAppends {
  /** Records left out of the audit log so far because too many appends were in flight. */
  dropped(): number;
}

/**
 * An audit sink writing each record as one log line, with its time (pino adds
 * it) and an `audit: true` field to filter on; with `append`, also each record
 * as a JSON line `{time, ...record}` to the audit log.
 */
export function auditTo(
  log: AuditLog & { error(fields: Record<string, unknown>, message: string): void },
  append?: AuditAppend,
  now: () => number = Date.now,
): ((event: AuditEvent) => void) & AuditAppends {
  let pending = 0;
  let dropped = 0;
  let reportedMs = -Infinity;
  const sink = (event: AuditEvent): void => {
    const fields = { audit: true, ...event };
    if (event.outcome === 'allowed') log.info(fields, 'admin call allowed');
    else log.warn(fields, event.outcome === 'denied' ? 'call denied' : 'call unauthenticated');
    if (append === undefined) return;
    if (pending >= MAX_PENDING_APPENDS) {
      dropped++;
      if (now() - reportedMs >= 10_000) {
        reportedMs = now();
        log.error(
          { audit: true, dropped },
          'audit log appends are backed up: records left out of the audit log (they are in these log lines)',
        );
      }
      return;
    }
    pending++;
    void append(JSON.stringify({ time: new Date(now()).toISOString(), ...event }))
      .catch((err: unknown) =>
        log.error({ audit: true, err }, 'an audit record could not be appended to the audit log (it is in this log line)'),
      )
      .finally(() => pending--);
  };
  return Object.assign(sink, { dropped: () => dropped });
}
