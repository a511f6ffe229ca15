/**
 * Builds the one frozen Config from CLI flags, environment variables, an
 * optional YAML file (--config) and defaults, in that order of precedence
 * (flags > env > file > defaults), then checks the settings against each
 * other. Any bad value is a ConfigError whose message is one line naming
 * the setting as the user spelled it and the accepted values.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseValue } from './parse-value.js';
import { SETTINGS, type Config, type Setting } from './settings.js';
import { checkTls } from './tls-policy.js';

/** The sources loadConfig reads; each defaults to the process's own. */
export interface ConfigSources {
  /** Arguments after the script name (process.argv.slice(2)). */
  readonly argv?: readonly string[];
  /** Environment variables. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads the --config file (injected by specs). */
  readonly readFile?: (path: string) => string;
  /** The server's version: given, `--version` prints it on stdout and start-up stops (HelpShown). */
  readonly version?: string;
}

/** A loaded configuration and the warnings to log about it. */
export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
}

/** Thrown for --help / --version: print nothing more and exit 0. */
export class HelpShown extends Error {
  override readonly name = 'HelpShown';
}

function buildCommand(version: string | undefined): Command {
  const cmd = new Command('smarterbase')
    .description('SmarterBase document database server')
    .option('--config <path>', 'YAML file with the same settings in camelCase')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .allowExcessArguments(false);
  if (version !== undefined) cmd.version(version, '--version', 'Print the version and exit.');
  for (const s of SETTINGS) {
    const arg = s.kind.type === 'bool' ? '[bool]' : '<value>';
    const dflt =
      s.default !== undefined
        ? ` (default ${String(s.default)})`
        : s.derivedDefault
          ? ` (default ${s.derivedDefault.text}: ${s.derivedDefault.value()} here)`
          : '';
    cmd.option(`${s.flag} ${arg}`, `${s.description} Env ${s.env}.${dflt}`);
  }
  return cmd;
}

function flagsOf(argv: readonly string[], version: string | undefined): { opts: Record<string, unknown>; configPath?: string } {
  const cmd = buildCommand(version);
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        throw new HelpShown(e.message);
      throw new ConfigError(`config error: ${e.message.replace(/^error: /, '')}`);
    }
    throw e;
  }
  const opts = cmd.opts<Record<string, unknown>>();
  return { opts, configPath: typeof opts['config'] === 'string' ? opts['config'] : undefined };
}

function fileValues(path: string, readFile: (p: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new ConfigError(`config error: cannot read --config file ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`config error: --config file ${JSON.stringify(path)} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`config error: --config file ${JSON.stringify(path)} must be a YAML mapping of settings`);
  const known = new Set(SETTINGS.map((s) => s.key as string));
  for (const k of Object.keys(doc)) {
    if (!known.has(k))
      throw new ConfigError(`config error: unknown setting ${JSON.stringify(k)} in ${path} (known: ${[...known].join(', ')})`);
  }
  return doc as Record<string, unknown>;
}

function flagKey(s: Setting): string {
  return s.flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Loads, validates and freezes the configuration. Throws ConfigError (or HelpShown). */
export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const env = sources.env ?? process.env;
  const { opts, configPath } = flagsOf(sources.argv ?? process.argv.slice(2), sources.version);
  const file = configPath === undefined ? {} : fileValues(configPath, sources.readFile ?? ((p) => readFileSync(p, 'utf8')));
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const flag = opts[flagKey(s)];
    const envValue = env[s.env];
    const fileValue = file[s.key];
    let value: unknown;
    if (flag !== undefined) value = parseValue(s.kind, s.flag, flag === true ? 'true' : String(flag));
    else if (envValue !== undefined && envValue !== '') value = parseValue(s.kind, s.env, envValue);
    else if (fileValue !== undefined && fileValue !== null) value = parseValue(s.kind, `${s.key} (in ${configPath})`, String(fileValue));
    else value = s.default ?? s.derivedDefault?.value();
    if (value !== undefined) out[s.key] = value;
  }
  const config = Object.freeze(out) as unknown as Config;
  const warnings = crossCheck(config);
  checkCollectionsFile(config, sources.readFile ?? ((p) => readFileSync(p, 'utf8')));
  const known = new Set(SETTINGS.map((s) => s.env));
  for (const k of Object.keys(env)) {
    if (k.startsWith('SB_') && !known.has(k)) warnings.push(`unknown environment variable ${k} ignored`);
  }
  return { config, warnings };
}

/** The collections file must be readable (its content is validated when main.ts loads it). */
function checkCollectionsFile(c: Config, readFile: (p: string) => string): void {
  if (c.collectionsFile === undefined) return;
  try {
    readFile(c.collectionsFile);
  } catch (e) {
    throw new ConfigError(
      `config error: cannot read SB_COLLECTIONS_FILE (--collections-file) ${JSON.stringify(c.collectionsFile)}: ${(e as Error).message}`,
    );
  }
}

/** Checks settings against each other; errors throw, advice is returned as warnings. */
function crossCheck(c: Config): string[] {
  const warnings: string[] = checkTls(c);
  if (c.storage === 's3' && !c.s3Bucket) {
    throw new ConfigError('config error: SB_S3_BUCKET (--s3-bucket) is required when SB_STORAGE is s3');
  }
  if (c.s3SseKmsKeyId !== undefined && c.s3Sse !== 'aws:kms') {
    throw new ConfigError('config error: SB_S3_SSE_KMS_KEY_ID (--s3-sse-kms-key-id) needs SB_S3_SSE=aws:kms');
  }
  if (c.encryptionRequire && c.encryptionKeyringFile === undefined) {
    throw new ConfigError('config error: SB_ENCRYPTION_REQUIRE (--encryption-require) needs SB_ENCRYPTION_KEYRING_FILE');
  }
  if (c.coordination === 'redis' && !c.redisUrl) {
    throw new ConfigError('config error: SB_REDIS_URL (--redis-url) is required when SB_COORDINATION is redis');
  }
  if (c.maxDocumentBytes >= c.maxMessageBytes) {
    throw new ConfigError(
      `config error: SB_MAX_DOCUMENT_BYTES (${c.maxDocumentBytes}) must be smaller than SB_MAX_MESSAGE_BYTES (${c.maxMessageBytes})`,
    );
  }
  if (c.storage === 's3' && c.s3Conditional === 'lock' && c.coordination === 'local') {
    warnings.push(
      'SB_S3_CONDITIONAL=lock with SB_COORDINATION=local serializes writers only inside this process: run a single replica, or set SB_COORDINATION=redis',
    );
  }
  if (c.tokenKeyRotationMs > 0 && c.tokenKeyRotationMs < 3 * c.tokenKeyRefreshMs) {
    throw new ConfigError(
      `config error: SB_TOKEN_KEY_ROTATION_MS (${c.tokenKeyRotationMs}) must be 0 or at least 3 × SB_TOKEN_KEY_REFRESH_MS (${c.tokenKeyRefreshMs})`,
    );
  }
  return warnings;
}
