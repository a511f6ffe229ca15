import { concurrentThroughput, cpuDuring, interleavedLatency, sideRound, summarizeSide, type SideRound } from './side-by-side.js';

test('interleavedLatency takes turns call by call, rotating which side goes first, one sample per call', async () => {
  const order: string[] = [];
  const { samples, clientCpuMs } = await interleavedLatency(3, 4, async (side, i) => {
    order.push(`${side}:${i}`);
    // Side 2 burns CPU in this process: its client CPU must show it.
    if (side === 2) for (const until = performance.now() + 5; performance.now() < until;);
  });
  expect(order).toEqual(['0:0', '1:0', '2:0', '1:1', '2:1', '0:1', '2:2', '0:2', '1:2', '0:3', '1:3', '2:3']);
  expect(samples.map((s) => s.length)).toEqual([4, 4, 4]);
  expect(samples.flat().every((ms) => ms >= 0)).toBe(true);
  expect(clientCpuMs[2]).toBeGreaterThan(clientCpuMs[0]);
});

test('concurrentThroughput runs every caller of every side at once and counts each call', async () => {
  let inFlight = 0;
  let most = 0;
  const seen = [0, 0];
  const counts = await concurrentThroughput(2, 3, 300, async (side) => {
    seen[side]++;
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, 2));
    inFlight--;
  });
  expect(most).toBe(6);
  expect(counts.map((c) => c.calls)).toEqual(seen);
  for (const c of counts) {
    expect(c.calls).toBeGreaterThanOrEqual(3);
    expect(c.rate).toBeGreaterThan(0);
  }
});

test('cpuDuring reports this process its CPU time (Linux) and nothing for a pid without figures', async () => {
  const { result, cpuMs } = await cpuDuring([process.pid, undefined], async () => {
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += i;
    return x;
  });
  expect(result).toBeGreaterThan(0);
  if (process.platform === 'linux') expect(cpuMs[0]).toBeGreaterThanOrEqual(0);
  expect(cpuMs[1]).toBeUndefined();
});

const r = (p50: number, callsPerSecond: number, serverCpuMsPerCall?: number): SideRound => ({
  latency: { count: 10, mean: p50, min: p50 / 2, p50, p90: p50 * 2, p99: p50 * 3, max: p50 * 4 },
  callsPerSecond,
  ...(serverCpuMsPerCall === undefined ? {} : { serverCpuMsPerCall }),
});

test('sideRound divides the server CPU by every call of the round and the client CPU by the sequential calls', () => {
  const round = sideRound([1, 2, 3, 4], { rate: 50, calls: 96 }, 20, 2);
  expect(round.clientCpuMsPerCall).toBe(0.5);
  expect(round.latency.p50).toBe(2);
  expect(round.callsPerSecond).toBe(50);
  expect(round.serverCpuMsPerCall).toBe(0.2);
  expect(sideRound([1], { rate: 1, calls: 1 }, undefined)).not.toHaveProperty('serverCpuMsPerCall');
  expect(sideRound([1], { rate: 1, calls: 1 }, undefined)).not.toHaveProperty('clientCpuMsPerCall');
});

test('summarizeSide takes medians over rounds, and the CPU only when every round has it', () => {
  const s = summarizeSide([r(10, 100, 0.5), r(12, 90, 0.7), r(11, 95, 0.6)]);
  expect([s.p50Ms, s.p99Ms, s.callsPerSecond, s.serverCpuMsPerCall]).toEqual([11, 33, 95, 0.6]);
  expect(summarizeSide([r(10, 100, 0.5), r(12, 90)]).serverCpuMsPerCall).toBeUndefined();
});
