import { DbError } from '../errors/db-error.js';

/**
 * Abort helpers: turn an aborted AbortSignal into the DbError the ports
 * document ('deadline_exceeded' when the signal was aborted by a timeout,
 * 'cancelled' otherwise).
 */

/** True when the abort reason says a deadline passed (AbortSignal.timeout or a DbError deadline). */
function isDeadlineReason(reason: unknown): boolean {
  if (reason instanceof DbError) return reason.kind === 'deadline_exceeded';
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}

/** The DbError that describes an aborted signal. */
export function abortError(signal: AbortSignal): DbError {
  const reason: unknown = signal.reason;
  if (reason instanceof DbError && (reason.kind === 'cancelled' || reason.kind === 'deadline_exceeded')) {
    return reason;
  }
  if (isDeadlineReason(reason)) {
    return new DbError('deadline_exceeded', 'DEADLINE_EXCEEDED', 'deadline exceeded', { cause: reason });
  }
  return new DbError('cancelled', 'CANCELLED', 'operation cancelled', { cause: reason });
}

/** Throws the matching DbError when `signal` is aborted; does nothing otherwise. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * Resolves after `ms` milliseconds, or rejects with the abort DbError as soon
 * as `signal` aborts (the timer is cleared then).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
