/**
 * Who may scrape /metrics when authentication is on (setting authMetrics,
 * docs/security.md): the endpoint starts before storage is open, so the
 * check is set later (main.ts, once auth is composed); until then a gated
 * endpoint answers 503 rather than serve anyone.
 */

/** The check of a scrape's `authorization` header value: true when it authenticates. */
export type ScrapeCheck = (authorization: string | undefined) => Promise<boolean>;

/** The gate of the metrics endpoint. */
export class MetricsGate {
  private check: ScrapeCheck | undefined;

  /** `gated` false: every scrape is served (auth off, or authMetrics open). */
  constructor(private readonly gated: boolean) {}

  /** Sets the check (once auth is composed). */
  set(check: ScrapeCheck): void {
    this.check = check;
  }

  /** The HTTP status a scrape with `authorization` gets before its body: 200, 401 or 503. */
  async statusOf(authorization: string | undefined): Promise<200 | 401 | 503> {
    if (!this.gated) return 200;
    if (this.check === undefined) return 503;
    return (await this.check(authorization)) ? 200 : 401;
  }
}
