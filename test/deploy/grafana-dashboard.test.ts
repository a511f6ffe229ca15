/**
 * deploy/grafana/smarterbase.json charts the metrics catalogue of
 * docs/observability.md: every metric of the catalogue is in some panel's
 * query, no query names a metric the catalogue does not have (a renamed
 * metric would leave an empty panel), and every panel reads the templated
 * Prometheus data source. Panels and grid positions are well formed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/server-process.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { uid: string };
  targets?: { expr: string; datasource: { uid: string } }[];
}

const dashboard = JSON.parse(readFileSync(join(repoRoot, 'deploy', 'grafana', 'smarterbase.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
};
const catalogue = new Set(
  [...readFileSync(join(repoRoot, 'docs', 'observability.md'), 'utf8').matchAll(/^\| `(smarterbase_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!),
);
const queries = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
/** A metric name as a query uses it, without the _bucket / _sum / _count suffix of a histogram's series. */
const usedMetrics = new Set(
  queries.flatMap((q) =>
    [...q.matchAll(/\b(smarterbase_[a-z0-9_]+?)(?:_bucket|_sum|_count)?\b(?=\s*[{[(]|\s*\)|\s*$)/g)].map((m) => m[1]!),
  ),
);

test('the catalogue is read (docs/observability.md lists the metrics in a table)', () => {
  expect(catalogue.size).toBeGreaterThanOrEqual(25);
  expect(catalogue).toContain('smarterbase_rpc_server_calls_total');
});

test('every catalogue metric is charted', () => {
  expect([...catalogue].filter((m) => !queries.some((q) => q.includes(m)))).toEqual([]);
});

test('no query names a metric outside the catalogue', () => {
  expect(usedMetrics.size).toBe(catalogue.size); // the extraction finds each charted metric once
  expect([...usedMetrics].filter((m) => !catalogue.has(m))).toEqual([]);
});

test('every panel queries the templated data source and the server filter; ids are unique; the grid is 24 wide', () => {
  expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
  const ids = dashboard.panels.map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const p of dashboard.panels) {
    expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    if (p.type === 'row') continue;
    expect(p.datasource?.uid).toBe('${datasource}');
    expect(p.targets?.length).toBeGreaterThan(0);
    for (const t of p.targets!) {
      expect(t.datasource.uid).toBe('${datasource}');
      expect(t.expr).toContain('instance=~"$instance"');
    }
  }
});
