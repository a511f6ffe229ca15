/**
 * The live heap of a server process after a full garbage collection, from a V8 heap snapshot the
 * process writes on a signal. A server started with `NODE_OPTIONS=heapSnapshotOptions(dir)`
 * writes one into `dir` on each SIGUSR2; V8 collects all garbage before it walks the heap, so the
 * sum of the nodes' self sizes is what the process really retains, unlike RSS, which keeps freed
 * pages and moves with the collector's timing.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** NODE_OPTIONS that make a process write a heap snapshot into `dir` on SIGUSR2. */
export function heapSnapshotOptions(dir: string): string {
  return `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`;
}

/** The V8 heap snapshot fields this module reads. */
interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: string[] } };
  readonly nodes: number[];
}

/**
 * Signals `pid` to write a heap snapshot into `dir` and returns the bytes its heap retains (the
 * sum of every node's self size); the snapshot file is deleted. Waits up to `timeoutMs` for the
 * file to be written completely.
 */
export async function retainedHeapBytes(pid: number, dir: string, timeoutMs = 120_000): Promise<number> {
  const before = new Set(await readdir(dir));
  process.kill(pid, 'SIGUSR2');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file !== undefined) {
      const parsed = await parseWhenComplete(join(dir, file));
      if (parsed !== undefined) {
        await rm(join(dir, file));
        const fields = parsed.snapshot.meta.node_fields;
        const self = fields.indexOf('self_size');
        let total = 0;
        for (let i = self; i < parsed.nodes.length; i += fields.length) total += parsed.nodes[i];
        return total;
      }
    }
    if (Date.now() > until) throw new Error(`process ${pid} wrote no complete heap snapshot into ${dir} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The snapshot, or undefined while the process is still writing it (the JSON is incomplete). */
async function parseWhenComplete(path: string): Promise<Snapshot | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Snapshot;
  } catch {
    return undefined;
  }
}
