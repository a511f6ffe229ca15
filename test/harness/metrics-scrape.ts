/**
 * Reading a server process's Prometheus endpoint in tests: its metrics port
 * (from the "listening" log line) and the samples of one metric.
 */
import type { ServerProcess } from './server-process.js';

/** The metricsPort of the server's "listening" line (null when metrics are off). */
export function metricsPortOf(server: ServerProcess): number | null {
  const line = server
    .output()
    .split('\n')
    .find((l) => l.includes('"msg":"listening"'));
  return (JSON.parse(line!) as { metricsPort: number | null }).metricsPort;
}

/** Every sample of `name` in the exposition `text`, with its labels. */
export function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** The server's `/metrics` text. */
export async function scrape(server: ServerProcess): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${metricsPortOf(server)}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** Storage requests the server sent, summed by op (smarterbase_storage_operations_total over outcomes). */
export async function storageRequests(server: ServerProcess): Promise<Record<string, number>> {
  const byOp: Record<string, number> = {};
  for (const s of samples(await scrape(server), 'smarterbase_storage_operations_total')) {
    const op = s.labels.op ?? '';
    byOp[op] = (byOp[op] ?? 0) + s.value;
  }
  return byOp;
}
