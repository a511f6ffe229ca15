/**
 * Where the CLI connects and with which credentials: flags, then environment
 * variables, then a named profile, then the defaults. Pure apart from reading
 * the profile and PEM files through the injected `readFile`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClientOptions } from '../options.js';

/** The server's default gRPC port on loopback (server setting grpcPort, SB_GRPC_PORT). */
export const DEFAULT_ADDR = '127.0.0.1:50051';

/** The connection settings one profile (or the flags) may give; every field optional. */
export interface ConnectionSettings {
  /** "host:port" of the server's gRPC port. */
  readonly addr?: string;
  /** Use TLS (implied by cacert / cert / key). */
  readonly tls?: boolean;
  /** Path of a PEM CA bundle the server's certificate must chain to. */
  readonly cacert?: string;
  /** Path of a PEM client certificate (mTLS), with `key`. */
  readonly cert?: string;
  /** Path of the PEM private key of `cert`. */
  readonly key?: string;
  /** The name the server's certificate must carry when it differs from the host of addr. */
  readonly serverName?: string;
  /** An API key (sbk_…), sent as `authorization: Bearer <key>`. */
  readonly apiKey?: string;
  /** Path of a file holding the API key (first line), instead of apiKey. */
  readonly apiKeyFile?: string;
  /** Default deadline of each call, in milliseconds. */
  readonly timeoutMs?: number;
}

/** The profiles file: `{ "default": "<name>", "profiles": { "<name>": ConnectionSettings } }`. */
export interface ProfilesFile {
  /** The profile used when neither --profile nor SMARTERBASE_PROFILE names one. */
  readonly default?: string;
  /** The profiles by name. */
  readonly profiles: Readonly<Record<string, ConnectionSettings>>;
}

/** What resolveConnection() needs from the outside world. */
export interface ConnectionInputs {
  /** The global flags given on the command line. */
  readonly flags: ConnectionSettings & { readonly profile?: string };
  /** The process environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a file as UTF-8 (throws when missing). */
  readonly readFile: (path: string) => string;
}

/** The resolved connection: client options and the address shown in messages. */
export interface ResolvedConnection {
  /** The address the client dials. */
  readonly addr: string;
  /** The profile used, or undefined. */
  readonly profile: string | undefined;
  /** Options for createClient(). */
  readonly options: ClientOptions;
}

/** The profiles file path: SMARTERBASE_PROFILES, else $XDG_CONFIG_HOME or ~/.config, /smarterbase/profiles.json. */
export function profilesPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env.SMARTERBASE_PROFILES) return env.SMARTERBASE_PROFILES;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'smarterbase', 'profiles.json');
}

/** Reads the profile `name` (or the file's default when name is undefined); undefined when no profile applies. */
export function loadProfile(inputs: ConnectionInputs, name: string | undefined): ConnectionSettings | undefined {
  const path = profilesPath(inputs.env);
  let text: string;
  try {
    text = inputs.readFile(path);
  } catch (e) {
    if (name === undefined) return undefined;
    throw new Error(`profile "${name}" asked for, but ${path} cannot be read (${(e as Error).message}); set SMARTERBASE_PROFILES`, {
      cause: e,
    });
  }
  let file: ProfilesFile;
  try {
    file = JSON.parse(text) as ProfilesFile;
  } catch (e) {
    throw new Error(`${path} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof file !== 'object' || file === null || typeof file.profiles !== 'object' || file.profiles === null) {
    throw new Error(`${path} must be {"default": "<name>", "profiles": {"<name>": {"addr": "host:port", ...}}}`);
  }
  const chosen = name ?? file.default;
  if (chosen === undefined) return undefined;
  const profile = file.profiles[chosen];
  if (profile === undefined)
    throw new Error(`no profile "${chosen}" in ${path} (it has: ${Object.keys(file.profiles).join(', ') || 'none'})`);
  return profile;
}

/** Resolves the connection: flag > environment (SMARTERBASE_*) > profile > default, field by field. */
export function resolveConnection(inputs: ConnectionInputs): ResolvedConnection {
  const { flags, env } = inputs;
  const profileName = flags.profile ?? (env.SMARTERBASE_PROFILE || undefined);
  const profile = loadProfile(inputs, profileName) ?? {};
  const fromEnv: ConnectionSettings = {
    addr: env.SMARTERBASE_ADDR || undefined,
    apiKey: env.SMARTERBASE_API_KEY || undefined,
    cacert: env.SMARTERBASE_CACERT || undefined,
    cert: env.SMARTERBASE_CERT || undefined,
    key: env.SMARTERBASE_KEY || undefined,
    tls: env.SMARTERBASE_TLS === '1' || env.SMARTERBASE_TLS === 'true' ? true : undefined,
  };
  const pick = <K extends keyof ConnectionSettings>(k: K): ConnectionSettings[K] => flags[k] ?? fromEnv[k] ?? profile[k];
  const addr = pick('addr') ?? DEFAULT_ADDR;
  const cacert = pick('cacert');
  const cert = pick('cert');
  const key = pick('key');
  const serverName = pick('serverName');
  if ((cert === undefined) !== (key === undefined)) throw new Error('--cert and --key go together (mTLS needs both)');
  const useTls = pick('tls') === true || cacert !== undefined || cert !== undefined || serverName !== undefined;
  const read = (what: string, path: string): string => {
    try {
      return inputs.readFile(path);
    } catch (e) {
      throw new Error(`cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e });
    }
  };
  const tls: ClientOptions['tls'] = !useTls
    ? undefined
    : cacert === undefined && cert === undefined && serverName === undefined
      ? true
      : {
          ...(cacert !== undefined ? { ca: read('--cacert', cacert) } : {}),
          ...(cert !== undefined ? { cert: read('--cert', cert) } : {}),
          ...(key !== undefined ? { key: read('--key', key) } : {}),
          ...(serverName !== undefined ? { serverName } : {}),
        };
  const keyFile = pick('apiKeyFile');
  const apiKey = pick('apiKey') ?? (keyFile !== undefined ? read('API key file', keyFile).split(/\r?\n/)[0].trim() : undefined);
  const timeoutMs = pick('timeoutMs');
  return {
    addr,
    profile: profileName ?? (Object.keys(profile).length > 0 ? 'default' : undefined),
    options: {
      address: addr,
      ...(tls !== undefined ? { tls } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    },
  };
}
