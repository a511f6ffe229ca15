/** What the running build is: the package version (from the nearest package.json named smarterbase) and the Node.js version. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The build's identity, exported as attributes of smarterbase_build_info. */
export interface BuildInfo {
  /** package.json version, or 'unknown'. */
  readonly version: string;
  /** process.version, e.g. v20.19.0. */
  readonly nodeVersion: string;
}

/** The version of the smarterbase package.json above `from` (default: this file's folder), or 'unknown'. */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'smarterbase' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // not ours or unreadable: keep looking upwards
      }
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** The running build's identity. */
export function buildInfo(): BuildInfo {
  return { version: packageVersion(), nodeVersion: process.version };
}
