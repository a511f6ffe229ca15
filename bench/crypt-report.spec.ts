import { compare, formatCryptMarkdown, median, side, type CryptRound, type CryptRun } from './crypt-report.js';

const r = (p50: number, putsPerSecond: number, serverCpuMsPerPut?: number): CryptRound => ({
  latency: { count: 10, mean: p50, min: p50 / 2, p50, p90: p50 * 2, p99: p50 * 3, max: p50 * 4 },
  putsPerSecond,
  ...(serverCpuMsPerPut !== undefined ? { serverCpuMsPerPut } : {}),
});

test('median of odd and even counts', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 2, 3])).toBe(2.5);
  expect(() => median([])).toThrow(RangeError);
});

test('side takes medians over rounds; compare gives the p50 cost, the throughput ratio and the verdict', () => {
  const clear = side([r(10, 100), r(12, 90), r(11, 95)]);
  expect([clear.p50Ms, clear.p90Ms, clear.putsPerSecond, clear.serverCpuMsPerPut]).toEqual([11, 22, 95, undefined]);
  expect(side([r(10, 100, 0.5), r(10, 100, 0.7), r(10, 100, 0.6)]).serverCpuMsPerPut).toBe(0.6);
  expect(compare(clear, side([r(11.5, 90), r(12, 85), r(12.5, 92)]))).toEqual({ p50Cost: 0.0909, throughputRatio: 0.9474, pass: true });
  expect(compare(clear, side([r(13, 90)]))).toMatchObject({ pass: false });
});

test('the markdown names both sides, the cost in percent and the verdict', () => {
  const clear = side([r(10, 100)]);
  const encrypted = side([r(10.5, 97, 0.42)]);
  const run: CryptRun = {
    when: 'T',
    machine: { cpus: 2, node: 'v20', loadAverage: [1, 2, 3] },
    parameters: { documentBytes: 1024, sequentialPuts: 10, throughputSeconds: 5, concurrency: 4, rounds: 1, s3: 'versitygw' },
    clear,
    encrypted,
    ...compare(clear, encrypted),
  };
  const md = formatCryptMarkdown(run);
  expect(md).toContain('| clear | 10 | 20 | 100 | – |');
  expect(md).toContain('| encrypted (keyring) | 10.5 | 21 | 97 | 0.42 |');
  expect(md).toContain('p50 cost of encryption: 5 % (target ≤ 10 %: PASS); throughput ratio encrypted ÷ clear: 0.97.');
});
