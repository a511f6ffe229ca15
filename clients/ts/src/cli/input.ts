/**
 * Reading input: a whole file or stdin ("-" or no path) as text, and a text
 * stream split into lines for the JSONL commands.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsageError } from './cli-errors.js';

/** The whole of `path` (stdin for undefined or "-") as UTF-8 text. */
export async function readText(path: string | undefined): Promise<string> {
  if (path !== undefined && path !== '-') {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
    }
  }
  if (process.stdin.isTTY) throw new UsageError('give a file, --data, or pipe the JSON on stdin');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The lines of `path` (stdin for undefined or "-"), without their line breaks. */
export function readLines(path: string | undefined): AsyncIterable<string> {
  const input = path === undefined || path === '-' ? process.stdin : createReadStream(path);
  return createInterface({ input, crlfDelay: Infinity });
}
