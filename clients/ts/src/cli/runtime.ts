/**
 * What every command action gets: the resolved connection, a lazily created
 * client (and a raw transport for the services the client does not wrap),
 * printing that honours --json, and the one place failures become a stderr
 * line and an exit code.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Transport } from '@connectrpc/connect';
import { createClient, type SmarterBaseClient } from '../client.js';
import { createRetryInterceptor } from '../retry.js';
import { buildTransport } from '../transport.js';
import { describeFailure, failureJson, failureLine, UsageError } from './cli-errors.js';
import { resolveConnection, type ConnectionSettings, type ResolvedConnection } from './connection.js';
import { formatJson } from './output.js';

/** The global flags of the program (see program.ts). */
export interface GlobalFlags extends ConnectionSettings {
  /** --profile NAME. */
  readonly profile?: string;
  /** --timeout MS as given. */
  readonly timeout?: string;
  /** --json: results and errors as JSON. */
  readonly json?: boolean;
}

/** The context of one command run. */
export class Runtime {
  /** True with --json: print results and errors as compact JSON. */
  readonly json: boolean;
  /** Where results go. */
  readonly out: NodeJS.WritableStream = process.stdout;
  /** Where progress, summaries and errors go. */
  readonly err: NodeJS.WritableStream = process.stderr;
  private resolved: ResolvedConnection | undefined;
  private db: SmarterBaseClient | undefined;
  private raw: { transport: Transport; close: () => void } | undefined;

  /** A runtime for these global flags and environment. */
  constructor(
    private readonly flags: GlobalFlags,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {
    this.json = flags.json === true;
  }

  /** The connection (resolved on first use; a bad profile or PEM path is a UsageError). */
  connection(): ResolvedConnection {
    if (this.resolved === undefined) {
      const timeoutMs = this.flags.timeout === undefined ? undefined : Number(this.flags.timeout);
      if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
        throw new UsageError(`--timeout must be a number of milliseconds > 0 (got "${this.flags.timeout}")`);
      }
      try {
        this.resolved = resolveConnection({
          flags: { ...this.flags, timeoutMs },
          env: this.env,
          readFile: (p) => readFileSync(p, 'utf8'),
        });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    return this.resolved;
  }

  /** The client (created on first use). */
  client(): SmarterBaseClient {
    this.db ??= createClient(this.connection().options);
    return this.db;
  }

  /** A transport with the same address, TLS and key, for generated service clients (AccessService, Health). */
  transport(): Transport {
    this.raw ??= buildTransport(this.connection().options, [createRetryInterceptor(undefined)]);
    return this.raw.transport;
  }

  /** Prints a result: compact JSON with --json; otherwise `human()` when given, else indented JSON. */
  print(value: unknown, human?: () => string): void {
    this.out.write(this.json || human === undefined ? formatJson(value, this.json) : human());
  }

  /** A line for people on stderr (progress, summaries); silent with --json. */
  note(line: string): void {
    if (!this.json) this.err.write(line + '\n');
  }

  /** Closes the connections. */
  close(): void {
    this.db?.close();
    this.raw?.close();
  }

  /** Prints a failure (one line, or JSON with --json) and returns the exit code. */
  fail(e: unknown): number {
    const addr = this.resolved?.addr ?? this.flags.addr ?? this.env.SMARTERBASE_ADDR ?? '';
    const f = describeFailure(e, addr);
    this.err.write((this.json ? failureJson(f) : failureLine(f)) + '\n');
    return f.exitCode;
  }
}

/** Runs a command action with a Runtime made of the command's global flags; failures set process.exitCode. */
export async function runAction(cmd: Command, fn: (rt: Runtime) => Promise<void>): Promise<void> {
  const rt = new Runtime(cmd.optsWithGlobals<GlobalFlags>());
  try {
    await fn(rt);
  } catch (e) {
    process.exitCode = rt.fail(e);
  } finally {
    rt.close();
  }
}

/** Parses a whole number flag (e.g. --limit), or undefined when absent; UsageError when not a whole number >= min. */
export function intFlag(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number >= ${min} (got "${value}")`);
  return n;
}

/** Parses a JSON object given on the command line or read from a file; UsageError otherwise. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}
