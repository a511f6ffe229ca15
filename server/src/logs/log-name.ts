/**
 * The naming rule of logs (docs/adr/0013 §1): 1–128 of [A-Za-z0-9_.-],
 * starting with a letter or digit, like a collection; so `..`, `/` and empty
 * names are refused before any key is built from the name.
 */
import { invalid } from '../errors/db-error.js';
import { LOGS_ROOT } from '../format/bucket-layout.js';

/** The longest log name, in characters. */
export const MAX_LOG_NAME_CHARS = 128;

const LOG_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Throws INVALID_ARGUMENT / INVALID_LOG_NAME (field `field`) unless `name` follows the rule. */
export function validateLogName(name: string, field = 'log'): void {
  if (name.length === 0) throw invalid('INVALID_LOG_NAME', field, 'log must not be empty');
  if (name.length > MAX_LOG_NAME_CHARS) throw invalid('INVALID_LOG_NAME', field, `log must be at most ${MAX_LOG_NAME_CHARS} characters`);
  if (!LOG_NAME_RE.test(name)) {
    throw invalid('INVALID_LOG_NAME', field, 'log must consist of [A-Za-z0-9_.-] and start with a letter or digit');
  }
}

/** The storage prefix of a log's chunks: `logs/<name>/c/`. */
export function chunkPrefix(name: string): string {
  return `${LOGS_ROOT}${name}/c/`;
}

/** The key of the chunk whose first line has sequence `first` (20 digits, so keys sort by sequence). */
export function chunkKey(name: string, first: number): string {
  return chunkPrefix(name) + String(first).padStart(20, '0');
}

/** The first sequence named by a chunk key, or undefined for a key that is not a chunk's. */
export function chunkFirstOf(key: string): number | undefined {
  const tail = key.slice(key.lastIndexOf('/') + 1);
  if (!/^\d{20}$/.test(tail)) return undefined;
  const n = Number(tail);
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/** The storage prefix of a log's segments: `logs/<name>/s/`. */
export function segmentPrefix(name: string): string {
  return `${LOGS_ROOT}${name}/s/`;
}

/** The key of the segment whose last line has sequence `last` (20 digits: keys sort by sequence). */
export function segmentKey(name: string, last: number): string {
  return segmentPrefix(name) + String(last).padStart(20, '0');
}

/** The key of a log's meta object (tail hint, oldest sequence, bytes), updated by compare-and-swap. */
export function metaKey(name: string): string {
  return `${LOGS_ROOT}${name}/meta`;
}

/** Whether `name` follows the log naming rule (validateLogName without the error). */
export function isLogName(name: string): boolean {
  try {
    validateLogName(name);
    return true;
  } catch {
    return false;
  }
}
