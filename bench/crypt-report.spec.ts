import { compare, formatCryptMarkdown, p90Ms, type CryptRun } from './crypt-report.js';
import { summarizeSide, type SideRound, type SideSummary } from './side-by-side.js';

const r = (p50: number, callsPerSecond: number, serverCpuMsPerCall?: number): SideRound => ({
  latency: { count: 10, mean: p50, min: p50 / 2, p50, p90: p50 * 2, p99: p50 * 3, max: p50 * 4 },
  callsPerSecond,
  ...(serverCpuMsPerCall !== undefined ? { serverCpuMsPerCall } : {}),
});

const runOf = (clear: SideSummary, encrypted: SideSummary): CryptRun => ({
  when: 'T',
  machine: { cpus: 2, node: 'v20', loadAverage: [1, 2, 3] },
  parameters: { documentBytes: 1024, sequentialPuts: 10, throughputSeconds: 5, concurrency: 4, rounds: 1, s3: 'versitygw' },
  clear,
  encrypted,
  ...compare(clear, encrypted),
});

test('compare gives the p50 cost, the throughput ratio and the verdict against the 10 % target', () => {
  const clear = summarizeSide([r(10, 100), r(12, 90), r(11, 95)]);
  expect(compare(clear, summarizeSide([r(11.5, 90), r(12, 85), r(12.5, 92)]))).toEqual({
    p50Cost: 0.0909,
    throughputRatio: 0.9474,
    pass: true,
  });
  expect(compare(clear, summarizeSide([r(13, 90)]))).toMatchObject({ p50Cost: 0.1818, pass: false });
});

test('p90Ms is the median over rounds of the p90', () => {
  expect(p90Ms(summarizeSide([r(10, 100), r(12, 90), r(11, 95)]))).toBe(22);
  expect(p90Ms(summarizeSide([r(10, 100), r(12, 90)]))).toBe(22);
});

test('the markdown names both sides, CPU per Put where measured, the cost in percent and the verdict', () => {
  const clear = summarizeSide([r(10, 100)]);
  const encrypted = summarizeSide([r(10.5, 97, 0.42)]);
  const run = runOf(clear, encrypted);
  const md = formatCryptMarkdown(run);
  expect(md).toContain('| clear | 10 | 20 | 100 | – | 10 | 100 |');
  expect(md).toContain('| encrypted (keyring) | 10.5 | 21 | 97 | 0.42 | 10.5 | 97 |');
  expect(md).toContain('p50 cost of encryption: 5 % (target ≤ 10 %: PASS); throughput ratio encrypted ÷ clear: 0.97.');
});

test('the markdown says FAIL when encryption costs more than the target', () => {
  const clear = summarizeSide([r(10, 100)]);
  const encrypted = summarizeSide([r(11.5, 80)]);
  const run = runOf(clear, encrypted);
  expect(formatCryptMarkdown(run)).toContain(
    'p50 cost of encryption: 15 % (target ≤ 10 %: FAIL); throughput ratio encrypted ÷ clear: 0.8.',
  );
});
