/**
 * Argument parsers for the benchmarks' commander command lines, shared so
 * every script rejects a bad value with the same message.
 */
import { InvalidArgumentError } from 'commander';

/** Parses a whole number ≥ 1 (counts, seconds, rounds); anything else is commander's usage error. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}
