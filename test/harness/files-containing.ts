/**
 * Greps a directory tree for bytes (the encryption suites look for a marker
 * string in an S3 server's storage directory, the embedded data directory or
 * the feed journal): no match proves nothing was stored in clear only when the
 * caller also finds a control written in clear.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Every file under `root`, recursively (absolute paths); none when `root` does not exist. */
export async function filesUnder(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true, recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The files under `root` whose bytes contain `needle` (absolute paths, or relative to `root` with `relativePaths`). */
export async function filesContaining(root: string, needle: string | Buffer, relativePaths = false): Promise<string[]> {
  const hits: string[] = [];
  for (const f of await filesUnder(root)) if ((await readFile(f)).includes(needle)) hits.push(relativePaths ? relative(root, f) : f);
  return hits;
}
