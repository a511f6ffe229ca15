/**
 * A start-up failure the server can explain in one line: what failed, the
 * setting to change and how to check it. main.ts prints `message` alone
 * (no stack) and exits 1; `retryable` failures (a backend not up yet) are
 * retried for SB_STARTUP_RETRY_MS first.
 */

/** One explained start-up failure. */
export class StartupError extends Error {
  override readonly name = 'StartupError';

  constructor(
    message: string,
    /** The environment variable of the setting to change, e.g. SB_GRPC_PORT. */
    readonly setting: string,
    /** True when waiting may help (a backend that is not up yet), false when only a change of settings does. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `url` (one Redis URL or a comma-separated list of them) with every password removed, for messages and logs. */
export function withoutPassword(url: string): string {
  return url
    .split(',')
    .map((one) => {
      const u = one.trim();
      try {
        const parsed = new URL(u);
        if (parsed.password === '') return u;
        parsed.password = '';
        return parsed.toString().replace(/\/$/, '');
      } catch {
        return u.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1@'); // not a URL the parser takes: strip user:pass@ by hand
      }
    })
    .join(',');
}

/** The messages of `err` and of every error in its cause chain, outermost first. */
export function causeChain(err: unknown): Error[] {
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}
