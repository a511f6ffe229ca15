/**
 * The self-contained HTML page of a `smarterbase bench` report: two uPlot
 * charts — the latency percentile curve (log-scaled towards 100 %, as
 * HdrHistogram plots are read) and throughput with p50/p99/max latency per
 * second — above the summary table. uPlot's script and style are inlined,
 * so the page opens offline and can be attached to a ticket as one file.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BenchReport } from './bench-report.js';

/** uPlot's minified script and stylesheet, read from its package. */
function uplotAssets(): { js: string; css: string } {
  const dir = join(dirname(require.resolve('uplot')), '..', 'dist');
  const js = readFileSync(join(dir, 'uPlot.iife.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
  return { js, css: readFileSync(join(dir, 'uPlot.min.css'), 'utf8') };
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

/** The page's own script: draws both charts from the embedded report. */
const DRAW = `
const r = REPORT;
const width = Math.min(1100, document.body.clientWidth - 20);
const ps = r.curves.percentiles;
// x of a percentile: 1/(1-p), so 90 %, 99 %, 99.9 % are evenly spaced on a log axis; 100 % one step beyond.
const xs = ps.map((p, i) => (p < 100 ? 1 / (1 - p / 100) : (i > 0 ? 10 / (1 - ps[i - 1] / 100) : 10)));
const names = Object.keys(r.curves.latencyMs);
const colours = ['#d62728', '#7f7f7f', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const pct = (x) => { const p = 100 * (1 - 1 / x); return p >= 99.99999 ? '100%' : (+p.toFixed(4)) + '%'; };
new uPlot({
  title: 'Latency by percentile (ms, from the time each operation was due)',
  width, height: 380,
  scales: { x: { distr: 3, time: false }, y: { distr: 3 } },
  axes: [{ values: (u, vals) => vals.map(pct), label: 'percentile' }, { label: 'ms' }],
  series: [{ label: 'percentile', value: (u, v) => (v == null ? '' : pct(v)) },
    ...names.map((n, i) => ({ label: n, stroke: colours[i % colours.length], width: n === 'all' ? 3 : 1.5, dash: n.includes('service') ? [6, 4] : undefined }))],
}, [xs, ...names.map((n) => r.curves.latencyMs[n])], document.getElementById('curve'));
const s = r.seconds;
new uPlot({
  title: 'Per second: completions and latency (ms, from due time)',
  width, height: 340,
  scales: { x: { time: false }, ops: {}, y: { distr: 3 } },
  axes: [{ label: 'seconds' }, { label: 'ms', scale: 'y' }, { label: 'ops/s', scale: 'ops', side: 1, grid: { show: false } }],
  series: [{ label: 's' },
    { label: 'completed/s', scale: 'ops', stroke: '#2ca02c', fill: 'rgba(44,160,44,0.08)' },
    { label: 'failed/s', scale: 'ops', stroke: '#000', dash: [2, 3] },
    { label: 'p50 ms', stroke: '#1f77b4' }, { label: 'p99 ms', stroke: '#ff7f0e' }, { label: 'max ms', stroke: '#d62728' }],
}, [s.map((w) => w.t), s.map((w) => w.completed), s.map((w) => w.failed),
  s.map((w) => w.p50Ms || null), s.map((w) => w.p99Ms || null), s.map((w) => w.maxMs || null)], document.getElementById('time'));
`;

/** The HTML page of `report`, with `table` (the printed summary) below the charts. */
export function benchHtml(report: BenchReport, table: string): string {
  const { js, css } = uplotAssets();
  const title = `smarterbase bench — ${report.target}, ${report.settings.rate}/s, ${report.startedAt}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${css}
body { font-family: sans-serif; margin: 10px; } pre { font-size: 12px; }</style>
<script>${js}</script></head>
<body><h2>${escapeHtml(title)}</h2>
<div id="curve"></div><div id="time"></div>
<pre>${escapeHtml(table)}</pre>
<details><summary>settings and report (JSON)</summary><pre>${escapeHtml(JSON.stringify(report.settings, null, 2))}</pre></details>
<script>const REPORT = ${scriptJson(report)};
${DRAW}</script>
</body></html>
`;
}
