import { DbError } from '../errors/db-error.js';

/**
 * Named failpoints for crash and fault tests (docs/transactions.md). Each
 * engine owns one Failpoints registry and hands it to the parts that have
 * failpoints; code calls `failpoints.hit('txn.after-intent')` at a step. A
 * test arms the registry of its own engine (`failpoints.configure(spec)`),
 * or, for a server process, through its SB_FAILPOINTS environment variable,
 * which main.ts turns into the engine's registry, e.g.
 *
 *   SB_FAILPOINTS=txn.after-intent=crash      the process SIGKILLs itself there
 *   SB_FAILPOINTS=txn.after-stage=error       the step fails with UNAVAILABLE
 *   SB_FAILPOINTS=txn.after-response=pause    an async step (`reached`) holds there
 *                                             until the failpoint is disarmed
 *
 * Several are separated by commas. Unarmed failpoints cost one Map lookup.
 */

/** What an armed failpoint does. */
export type FailpointAction = 'crash' | 'error' | 'pause';

/** The failpoints of one engine instance: none armed until configured. */
export class Failpoints {
  private readonly armed = new Map<string, FailpointAction>();
  /** Steps held at a paused failpoint: released when it is disarmed. */
  private readonly held = new Map<string, (() => void)[]>();

  /** A registry armed with `spec` ("name=action,…"; '' or undefined: none). Throws Error on a malformed spec. */
  static fromSpec(spec: string | undefined): Failpoints {
    const failpoints = new Failpoints();
    failpoints.configure(spec ?? '');
    return failpoints;
  }

  /**
   * Arms the failpoints of `spec` ("name=action,…"), replacing any armed
   * before; an empty spec disarms all. Throws Error on a malformed spec
   * (and then leaves the armed set as it was).
   */
  configure(spec: string): void {
    const next = new Map<string, FailpointAction>();
    for (const part of spec
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '')) {
      const [name, action, extra] = part.split('=');
      if (name === undefined || name === '' || extra !== undefined || (action !== 'crash' && action !== 'error' && action !== 'pause')) {
        throw new Error(`malformed failpoint ${JSON.stringify(part)}: expected name=crash, name=error or name=pause`);
      }
      next.set(name, action);
    }
    this.armed.clear();
    for (const [name, action] of next) this.armed.set(name, action);
    for (const [name, waiters] of this.held) {
      if (next.get(name) === 'pause') continue;
      this.held.delete(name);
      for (const release of waiters) release();
    }
  }

  /** The armed failpoints, for logs. */
  armedFailpoints(): ReadonlyMap<string, FailpointAction> {
    return this.armed;
  }

  /**
   * Runs the failpoint `name`: nothing unless armed; 'crash' kills the process
   * with SIGKILL on the spot (no cleanup runs, as in a power cut); 'error'
   * throws DbError('unavailable', 'BACKEND_UNAVAILABLE'). 'pause' does
   * nothing here: a synchronous step cannot wait (see `reached`).
   */
  hit(name: string): void {
    const action = this.armed.get(name);
    if (action === undefined || action === 'pause') return;
    if (action === 'crash') {
      process.kill(process.pid, 'SIGKILL');
      // SIGKILL cannot be caught; this line is never reached in practice.
      process.abort();
    }
    throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', `failpoint ${name} fired`, { metadata: { failpoint: name } });
  }

  /**
   * The asynchronous form of `hit`, for steps that may wait: 'pause' resolves
   * only once the failpoint is disarmed (`configure` without it), so a test
   * can hold a step — or SIGKILL the process while it is held; 'crash' and
   * 'error' act as in `hit`.
   */
  async reached(name: string): Promise<void> {
    if (this.armed.get(name) !== 'pause') return this.hit(name);
    await new Promise<void>((resolve) => {
      const waiters = this.held.get(name) ?? [];
      waiters.push(resolve);
      this.held.set(name, waiters);
    });
  }
}
