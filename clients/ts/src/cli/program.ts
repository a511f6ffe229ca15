/**
 * The `smarterbase` command tree (commander): global connection flags and
 * one register function per command group (commands/*.ts).
 */
import { Command, Option } from 'commander';
import { registerAccessCommands } from './commands/access.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerDocumentCommands } from './commands/documents.js';
import { registerHealthCommands } from './commands/health.js';
import { registerIndexCommands } from './commands/indexes.js';
import { registerLockCommands } from './commands/locks.js';
import { registerLogCommands } from './commands/logs.js';
import { registerObjectCommands } from './commands/objects.js';
import { registerQueryCommands } from './commands/query.js';
import { registerTransferCommands } from './commands/transfer.js';
import { registerWatchCommand } from './commands/watch.js';
import { DEFAULT_ADDR } from './connection.js';

/** The CLI's version: the client package's (a spec checks they agree). */
export const CLI_VERSION = '0.1.0';

const HELP_FOOTER = `
Connection: flags, else SMARTERBASE_ADDR / SMARTERBASE_API_KEY / SMARTERBASE_TLS / SMARTERBASE_CACERT /
SMARTERBASE_CERT / SMARTERBASE_KEY, else the profile (--profile or SMARTERBASE_PROFILE, else the file's
"default") in ~/.config/smarterbase/profiles.json (or SMARTERBASE_PROFILES):
  {"default": "local", "profiles": {"local": {"addr": "127.0.0.1:50051"},
   "prod": {"addr": "db.example.com:443", "tls": true, "cacert": "/etc/sb/ca.pem", "apiKeyFile": "/etc/sb/key"}}}
Exit codes: 0 ok, 1 the call failed (one line on stderr: CODE REASON: message: what to do), 2 usage error.`;

/** Builds the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('smarterbase')
    .description('Command line of SmarterBase: documents, queries, indexes, locks, export/import, watch, objects, logs, access, bench.')
    .version(CLI_VERSION, '-V, --version')
    .option('--addr <host:port>', `the server's gRPC address (env SMARTERBASE_ADDR; default ${DEFAULT_ADDR})`)
    .option('--tls', 'use TLS (implied by --cacert, --cert, --server-name)')
    .option('--cacert <file>', 'PEM CA bundle the server certificate must chain to')
    .option('--cert <file>', 'PEM client certificate (mTLS), with --key')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--server-name <name>', 'the name the server certificate must carry, when not the host of --addr')
    .option('--api-key <key>', 'API key sbk_… (env SMARTERBASE_API_KEY)')
    .option('--api-key-file <file>', 'read the API key from a file')
    .option('--profile <name>', 'a profile of the profiles file (env SMARTERBASE_PROFILE)')
    .option('--timeout <ms>', 'deadline of each call in milliseconds')
    .addOption(new Option('--json', 'print results and errors as JSON (for scripts)'))
    .showHelpAfterError('(smarterbase help COMMAND shows its flags)')
    .addHelpText('after', HELP_FOOTER);
  registerDocumentCommands(program);
  registerQueryCommands(program);
  registerIndexCommands(program);
  registerLockCommands(program);
  registerTransferCommands(program);
  registerWatchCommand(program);
  registerObjectCommands(program);
  registerLogCommands(program);
  registerAccessCommands(program);
  registerHealthCommands(program);
  registerBenchCommand(program);
  return program;
}
