/**
 * Parsing of h2load's summary (nghttp2-client): requests by outcome, HTTP
 * status classes, elapsed time, req/s, bytes of response data and the mean
 * request time. Pure, so that a format change fails its spec, not a run.
 */

/** What one h2load run reported. */
export interface H2loadSummary {
  /** Wall time of the run ("finished in"), seconds. */
  readonly elapsedSeconds: number;
  /** Requests per second as h2load computed them (succeeded ÷ elapsed). */
  readonly requestsPerSecond: number;
  /** Requests h2load counted ("requests: N total"). */
  readonly total: number;
  /** Requests that got a response (any status). */
  readonly succeeded: number;
  /** Requests that failed (no response, stream reset). */
  readonly failed: number;
  /** Requests that failed with a non-2xx status or a protocol error. */
  readonly errored: number;
  /** Requests that timed out. */
  readonly timeout: number;
  /** Responses by status class: 2xx, 3xx, 4xx, 5xx. */
  readonly status: { readonly '2xx': number; readonly '3xx': number; readonly '4xx': number; readonly '5xx': number };
  /** Bytes of DATA frame payload received (the framed gRPC responses). */
  readonly dataBytes: number;
  /** Mean time per request, ms. */
  readonly meanRequestMs: number;
}

function match(text: string, re: RegExp, what: string): RegExpMatchArray {
  const m = re.exec(text);
  if (!m) throw new Error(`h2load output has no ${what}: ${text.slice(-600)}`);
  return m;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

/** Parses h2load's summary; throws, quoting the output's tail, when a line is missing. */
export function parseH2loadOutput(text: string): H2loadSummary {
  const fin = match(text, /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/, '"finished in" line');
  const req = match(
    text,
    /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/,
    '"requests:" line',
  );
  const st = match(text, /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/, '"status codes:" line');
  const data = match(text, /traffic: .*?\((\d+)\) data/, 'data bytes on the "traffic:" line');
  const time = match(text, /time for request:\s+[\d.]+(?:us|ms|s)\s+[\d.]+(?:us|ms|s)\s+([\d.]+)(us|ms|s)/, '"time for request" line');
  const n = (s: string | undefined) => Number(s);
  return {
    elapsedSeconds: n(fin[1]) / (fin[2] === 'ms' ? 1000 : 1),
    requestsPerSecond: n(fin[3]),
    total: n(req[1]),
    succeeded: n(req[2]),
    failed: n(req[3]),
    errored: n(req[4]),
    timeout: n(req[5]),
    status: { '2xx': n(st[1]), '3xx': n(st[2]), '4xx': n(st[3]), '5xx': n(st[4]) },
    dataBytes: n(data[1]),
    meanRequestMs: Math.round(n(time[1]) * (UNIT_MS[time[2] ?? 'ms'] ?? 1) * 1000) / 1000,
  };
}

/**
 * Requests of a run that are not a good gRPC answer as far as HTTP can tell:
 * failed, errored or timed out, plus successes whose status was not 2xx.
 * (A gRPC error also comes as HTTP 200: the caller checks the data bytes.)
 */
export function h2loadErrors(s: H2loadSummary): number {
  return s.failed + s.errored + s.timeout + (s.succeeded - s.status['2xx']);
}
