#!/usr/bin/env node
/**
 * Entry point of the `smarterbase` command (the bin of @smarterbase/client).
 * Usage errors found by the parser exit with 2, failed calls with 1.
 */
import { CommanderError } from 'commander';
import { EXIT_USAGE } from './cli-errors.js';
import { buildProgram } from './program.js';

/** Runs the CLI with `argv` (process.argv shape) and resolves when the command finished. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  for (const c of program.commands) {
    c.exitOverride();
    for (const s of c.commands) s.exitOverride();
  }
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // Help and --version "fail" with exit code 0; parse errors were already printed by commander.
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
  }
}

if (require.main === module) {
  main(process.argv).catch((e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
