/**
 * How a failed start-up is reported: an explained failure (StartupError) is
 * its one line on stderr, and with JSON logs also one fatal record without a
 * stack (its msg the same line, its setting a field) for log collectors; any
 * other error is logged with its stack and summarised on stderr.
 */
import type { AppLogger } from '../observability/logger.js';
import { StartupError, causeChain } from './startup-error.js';

/** Reports `err`, the failure that stopped start-up, on stderr (`write`) and in the log. */
export function reportStartupFailure(
  err: unknown,
  log: AppLogger,
  format: 'json' | 'pretty',
  write: (text: string) => void = (t) => void process.stderr.write(t),
): void {
  if (err instanceof StartupError) {
    const cause = causeChain(err.cause)
      .map((e) => e.message)
      .join(': ');
    if (format === 'json') log.fatal({ setting: err.setting, cause }, err.message);
    write(`${err.message}\n`);
    return;
  }
  log.fatal({ err }, 'start-up failed');
  write(`start-up failed: ${(err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ')}\n`);
}
