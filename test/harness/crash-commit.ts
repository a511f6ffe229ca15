/**
 * Sends one Commit to a fresh server process armed with a crash failpoint
 * and reports how the call and the process ended.
 */
import { ConnectError } from '@connectrpc/connect';
import type { CommitResponse } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { docClient } from './doc-client.js';
import { startServer } from './server-process.js';
import type { TxnWriteInit } from './txn-writes.js';

/** How a crashing Commit ended. */
export interface CrashOutcome {
  /** The client's error (undefined when the Commit answered). */
  readonly error?: ConnectError;
  /** The response when the Commit answered (the failpoint did not fire). */
  readonly response?: CommitResponse;
  /** The process's exit signal (null when it exited normally or did not exit in time). */
  readonly signal: NodeJS.Signals | null;
  /** Its exit code (null when it died by a signal). */
  readonly code: number | null;
  /** Whether it exited by itself within the wait (false: the test killed it). */
  readonly exitedByItself: boolean;
  /** The process's log output. */
  readonly output: string;
}

/**
 * Starts a server with `env` plus SB_FAILPOINTS="<failpoint>=crash", sends a
 * Commit of `writes`, and waits up to `exitWaitMs` for the process to exit
 * (SIGKILLing it after that, so no process is left behind).
 */
export async function crashCommit(
  env: Record<string, string>,
  failpoint: string,
  writes: TxnWriteInit[],
  exitWaitMs = 10_000,
): Promise<CrashOutcome> {
  const server = await startServer({ ...env, SB_FAILPOINTS: `${failpoint}=crash` });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      resolve({ code: server.child.exitCode, signal: server.child.signalCode });
    } else {
      server.child.once('exit', (code, signal) => resolve({ code, signal }));
    }
  });
  let error: ConnectError | undefined;
  let response: CommitResponse | undefined;
  try {
    response = await docClient(server.grpcUrl).commit({ writes }, { timeoutMs: exitWaitMs });
  } catch (e) {
    error = ConnectError.from(e);
  }
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([exit, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), exitWaitMs)))]);
  clearTimeout(timer);
  if (waited === undefined) {
    server.child.kill('SIGKILL');
    await exit;
    return { error, response, signal: null, code: null, exitedByItself: false, output: server.output() };
  }
  return { error, response, signal: waited.signal, code: waited.code, exitedByItself: true, output: server.output() };
}
