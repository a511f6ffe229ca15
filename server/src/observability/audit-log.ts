/**
 * The audit trail (issue 14; docs/security.md, "Audit"): one structured log
 * line per admin action and per refused call (unauthenticated, denied), with
 * the principal, method, resource, outcome, time and trace id, under the
 * logger's `audit` channel (`"channel":"audit"` in every line, so a log
 * shipper can route them). Optionally each event is also appended to a
 * SmarterBase log (SB_AUDIT_LOG, e.g. `_audit`): durable, ordered, readable
 * with ReadLog. Those appends are fire and forget with at most
 * MAX_PENDING_APPENDS in flight; beyond that events are dropped from the log
 * (never from the log lines) and the drop is counted and reported, so a
 * flood of refused calls cannot grow memory without bound.
 */
import type { AppLogger } from './logger.js';

/** One audited call. */
export interface AuditEvent {
  /** `admin`: a call of an administrative service; `unauthenticated` / `denied`: a refused call. */
  readonly kind: 'admin' | 'unauthenticated' | 'denied';
  /** The full method name, `smarterbase.v1.AdminService/CreateIndex`. */
  readonly method: string;
  /** The caller, when known. */
  readonly principal?: string;
  /** What the call was about (a collection, index, key id, role …), when known. */
  readonly resource?: string;
  /** The verb refused, for a denied call. */
  readonly verb?: string;
  /** `ok`, or the gRPC status name the call ended with (`permission_denied`, `invalid_argument` …). */
  readonly outcome: string;
  /** The call's trace id, when it has one. */
  readonly traceId?: string;
  /** The caller's network address, when known. */
  readonly peer?: string;
}

/** Appends one line to the audit log (a LogEngine append in production). */
export type AuditAppend = (line: string) => Promise<unknown>;

/** Most audit appends in flight; more events are left out of the audit log (counted). */
export const MAX_PENDING_APPENDS = 1000;

/** Writes audit events. */
export class AuditLog {
  private readonly log: AppLogger;
  private pending = 0;
  private dropped = 0;
  private lastDropReportMs = -Infinity;

  /** `append`, when given, also writes each event to a SmarterBase log. */
  constructor(
    logger: AppLogger,
    private readonly append?: AuditAppend,
    private readonly now: () => number = Date.now,
  ) {
    this.log = logger.child({ channel: 'audit' });
  }

  /** Records `event` now; never throws, never waits. */
  record(event: AuditEvent): void {
    const time = new Date(this.now()).toISOString();
    const entry = { time, ...event };
    if (event.kind === 'admin' && event.outcome === 'ok') this.log.info({ audit: entry }, 'audit');
    else this.log.warn({ audit: entry }, 'audit');
    if (this.append === undefined) return;
    if (this.pending >= MAX_PENDING_APPENDS) {
      this.dropped++;
      if (this.now() - this.lastDropReportMs >= 10_000) {
        this.lastDropReportMs = this.now();
        this.log.error(
          { dropped: this.dropped },
          'audit log appends are backed up: events left out of the audit log (they are in these log lines)',
        );
      }
      return;
    }
    this.pending++;
    void this.append(JSON.stringify(entry))
      .catch((err: unknown) => this.log.error({ err }, 'an audit event could not be appended to the audit log (it is in this log line)'))
      .finally(() => this.pending--);
  }

  /** Events left out of the audit log so far because too many appends were in flight. */
  droppedCount(): number {
    return this.dropped;
  }
}
