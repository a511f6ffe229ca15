import { DbError } from '../errors/db-error.js';

/**
 * Named failpoints for crash and fault tests (docs/transactions.md). Code
 * calls `failpoint('txn.after-intent')` at a step; a test arms it through the
 * SB_FAILPOINTS environment variable of a server process, e.g.
 *
 *   SB_FAILPOINTS=txn.after-intent=crash      the process SIGKILLs itself there
 *   SB_FAILPOINTS=txn.after-stage=error       the step fails with UNAVAILABLE
 *
 * Several are separated by commas. Unarmed failpoints cost one Map lookup.
 */

/** What an armed failpoint does. */
export type FailpointAction = 'crash' | 'error';

const armed = new Map<string, FailpointAction>();

/**
 * Arms the failpoints of `spec` ("name=action,…"), replacing any armed
 * before; an empty spec disarms all. Throws Error on a malformed spec.
 */
export function configureFailpoints(spec: string): void {
  armed.clear();
  for (const part of spec.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [name, action, extra] = part.split('=');
    if (name === undefined || name === '' || extra !== undefined || (action !== 'crash' && action !== 'error')) {
      throw new Error(`malformed failpoint ${JSON.stringify(part)}: expected name=crash or name=error`);
    }
    armed.set(name, action);
  }
}

/** The armed failpoints, for logs. */
export function armedFailpoints(): ReadonlyMap<string, FailpointAction> {
  return armed;
}

/**
 * Runs the failpoint `name`: nothing unless armed; 'crash' kills the process
 * with SIGKILL on the spot (no cleanup runs, as in a power cut); 'error'
 * throws DbError('unavailable', 'BACKEND_UNAVAILABLE').
 */
export function failpoint(name: string): void {
  const action = armed.get(name);
  if (action === undefined) return;
  if (action === 'crash') {
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL cannot be caught; this line is never reached in practice.
    process.abort();
  }
  throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', `failpoint ${name} fired`, { metadata: { failpoint: name } });
}
