import { compareGets, costOf, formatSecurityMarkdown, SECURITY_THROUGHPUT_TARGET, type SecurityRun } from './security-report.js';
import { summarizeSide, type SideRound, type SideSummary } from './side-by-side.js';

const side = (p50: number, callsPerSecond: number, serverCpuMsPerCall?: number, clientCpuMsPerCall?: number): SideSummary => {
  const round: SideRound = {
    latency: { count: 10, mean: p50, min: p50 / 2, p50, p90: p50 * 2, p99: p50 * 3, max: p50 * 4 },
    callsPerSecond,
    ...(serverCpuMsPerCall === undefined ? {} : { serverCpuMsPerCall }),
    ...(clientCpuMsPerCall === undefined ? {} : { clientCpuMsPerCall }),
  };
  return summarizeSide([round]);
};

const rounds = (...rs: [number, number, number?][]): SideSummary =>
  summarizeSide(
    rs.map(([p50, callsPerSecond, cpu]) => ({
      latency: { count: 10, mean: p50, min: p50, p50, p90: p50, p99: p50, max: p50 },
      callsPerSecond,
      ...(cpu === undefined ? {} : { serverCpuMsPerCall: cpu }),
    })),
  );

test('costOf gives p50 and throughput ratios, the throughput cost and the CPU ratio when both sides have CPU figures', () => {
  expect(costOf(side(2, 1000, 0.5), side(2.2, 900, 0.6))).toEqual({
    p50Ratio: 1.1,
    throughputRatio: 0.9,
    throughputCost: 0.1,
    cpuRatio: 1.2,
  });
  expect(costOf(side(2, 1000), side(2, 1100, 0.6))).toEqual({ p50Ratio: 1, throughputRatio: 1.1, throughputCost: -0.1 });
  expect(costOf(side(2, 1000, 0.5, 0.2), side(2, 1000, 0.5, 0.25)).clientCpuRatio).toBe(1.25);
});

test('costOf compares round by round: a load that changed between rounds does not become a cost', () => {
  // Each round the side makes 0.8x plain's calls, while the machine got twice as fast over the run.
  const plain = rounds([4, 100, 2], [2, 200, 1], [1, 400, 0.5]);
  const secured = rounds([4.4, 80, 2.4], [2.2, 160, 1.2], [1.1, 320, 0.6]);
  // Rounds where the side's median round is not plain's: the per-round ratios and the ratio of medians disagree.
  const skewed = rounds([4.4, 80, 2.4], [2.2, 330, 1.2], [1.1, 150, 0.6]);
  expect(costOf(plain, secured)).toEqual({ p50Ratio: 1.1, throughputRatio: 0.8, throughputCost: 0.2, cpuRatio: 1.2 });
  // per-round ratios 0.8, 1.65, 0.375: median 0.8 (the ratio of medians, 150 / 200, would say 0.75).
  expect(costOf(plain, skewed).throughputRatio).toBe(0.8);
  expect(() => costOf(plain, side(1, 1))).toThrow(RangeError);
});

test('the verdict is on TLS + auth Get throughput against plaintext, at the 15 % target', () => {
  const base = { plain: side(2, 1000), tls: side(2, 500), auth: side(2, 500) };
  expect(SECURITY_THROUGHPUT_TARGET).toBe(0.15);
  expect(compareGets({ ...base, tlsAuth: side(2.4, 850) }).pass).toBe(true);
  expect(compareGets({ ...base, tlsAuth: side(2.4, 849) }).pass).toBe(false);
  expect(compareGets({ ...base, tlsAuth: side(2.4, 849) }).getCost.tls.throughputCost).toBe(0.5);
});

test('the markdown has a row per side with its ratios, the Put rows, the costs in percent and the verdict', () => {
  const get = { plain: side(2, 1000, 0.5, 0.3), tls: side(2.2, 950, 0.55), auth: side(2.1, 980, 0.52), tlsAuth: side(2.3, 920, 0.6) };
  const put = { plain: side(10, 200, 2), tlsAuth: side(11, 190, 2.2) };
  const run: SecurityRun = {
    when: 'T',
    machine: { cpus: 2, node: 'v20', loadAverage: [1, 2, 3], loadAverageAfter: [4, 5, 6] },
    parameters: {
      documents: 100,
      documentBytes: 1024,
      sequentialGets: 10,
      sequentialPuts: 5,
      throughputSeconds: 5,
      concurrency: 4,
      rounds: 1,
      s3: 'versitygw',
    },
    get,
    ...compareGets(get),
    put,
    putCost: costOf(put.plain, put.tlsAuth),
  };
  const md = formatSecurityMarkdown(run);
  expect(md).toContain('| (1) plaintext, auth off | 2 | 6 | 1000 | 0.5 | 0.3 | – | – | – | – | 2 | 1000 |');
  expect(md).toContain('| (2) TLS only | 2.2 | 6.6 | 950 | 0.55 | – | 1.1 | 0.95 | 1.1 | – | 2.2 | 950 |');
  expect(md).toContain('| (4) TLS + auth | 11 | 33 | 190 | 2.2 | – | 1.1 | 0.95 | 1.1 | – | 11 | 190 |');
  expect(md).toContain('load 1 2 3 at the start, 4 5 6 at the end');
  expect(md).toContain('Get throughput cost of TLS: 5 %; of auth: 2 %; of TLS + auth: 8 % (target ≤ 15 %: PASS)');
  expect(md).toContain('Put: p50 ×1.1, throughput cost 5 %.');
});
