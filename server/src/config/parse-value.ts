/** Parses one setting's text into its typed value, or fails with a ConfigError naming it. */
import type { SettingKind } from './settings.js';

/** A bad configuration value; its message is the one line printed before exiting with code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** The typed value of `raw` for a setting of `kind`; `name` is how the user spelled the setting. */
export function parseValue(kind: SettingKind, name: string, raw: string): string | number | boolean {
  const got = JSON.stringify(raw);
  switch (kind.type) {
    case 'string':
      return raw;
    case 'enum':
      if (!kind.choices.includes(raw))
        throw new ConfigError(`config error: ${name} must be one of ${kind.choices.join(', ')} (got ${got})`);
      return raw;
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      throw new ConfigError(`config error: ${name} must be true or false (got ${got})`);
    }
    case 'port':
    case 'int': {
      const [min, max] = kind.type === 'port' ? [0, 65535] : [kind.min, kind.max];
      const what = kind.type === 'port' ? 'a port' : 'an integer';
      if (!/^\s*\d+\s*$/.test(raw)) throw new ConfigError(`config error: ${name} must be ${what} from ${min} to ${max} (got ${got})`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < min || n > max)
        throw new ConfigError(`config error: ${name} must be ${what} from ${min} to ${max} (got ${got})`);
      return n;
    }
  }
}
