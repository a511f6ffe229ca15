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
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The abort reason of a signal made by timeoutSignal when its own time limit passed. */
export class BackendTimeoutError extends Error {
  override readonly name = 'BackendTimeoutError';
  constructor(
    /** The limit that passed, in ms. */
    readonly timeoutMs: number,
  ) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** A signal that aborts when its parent does or when a time limit passes; release() frees its timer and listener. */
export interface TimeoutSignal {
  /** Aborts with the parent's reason, or with a BackendTimeoutError once the limit passed. */
  readonly signal: AbortSignal;
  /** True when it was the time limit (not the parent) that aborted it. */
  timedOut(): boolean;
  /** Clears the timer and the parent listener; call when the operation is over. */
  release(): void;
}

/**
 * A child of `parent` that also aborts after `timeoutMs` (a server-side limit
 * on one backend call). Unlike AbortSignal.any it holds nothing once
 * released, so a long-lived parent (one call's signal shared by hundreds of
 * storage requests) collects no listeners.
 */
export function timeoutSignal(parent: AbortSignal | undefined, timeoutMs: number): TimeoutSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = (): void => controller.abort(parent?.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new BackendTimeoutError(timeoutMs));
  }, timeoutMs);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut && !(parent?.aborted ?? false),
    release: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
