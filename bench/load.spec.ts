import { performance } from 'node:perf_hooks';
import { runClosedLoop } from './load.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runClosedLoop', () => {
  it('keeps exactly `concurrency` calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const result = await runClosedLoop(
      async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await tick(5);
        inFlight -= 1;
      },
      { concurrency: 8, warmupMs: 20, durationMs: 150 },
    );
    expect(peak).toBe(8);
    expect(result.errors).toBe(0);
    // 8 callers × ~150 ms / ≥5 ms per call: well above 8, at most about 8 × 30.
    expect(result.calls).toBeGreaterThan(8);
    expect(result.calls).toBeLessThanOrEqual(8 * 30 + 8 * 5);
    // Node timers may fire up to ~1 ms early against performance.now().
    expect(result.latency.min).toBeGreaterThanOrEqual(3.5);
    // elapsedMs is rounded to whole ms in the result, so allow 1% of slack.
    expect(result.callsPerSecond / ((result.calls * 1000) / result.elapsedMs)).toBeCloseTo(1, 1);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(150);
    expect(result.clientCpuPercent).toBeGreaterThanOrEqual(0);
    expect(result.serverCpuPercent).toBeUndefined();
  });

  it('counts failures apart from successes and keeps the first message', async () => {
    let n = 0;
    const result = await runClosedLoop(
      async () => {
        n += 1;
        await Promise.resolve();
        if (n % 2 === 0) throw new Error(`boom ${n}`);
      },
      // Calls that never wait on a timer: even a loaded machine makes many in 60 ms (with a 1 ms
      // timer per call, one slow first timer was once the only call of the whole window).
      { concurrency: 1, warmupMs: 0, durationMs: 60 },
    );
    expect(result.errors).toBeGreaterThan(0);
    expect(Math.abs(result.errors - result.calls)).toBeLessThanOrEqual(1);
    expect(result.firstError).toBe('boom 2');
  });

  it('reports the CPU of a busy server process and of the load process', async () => {
    const result = await runClosedLoop(
      async () => {
        const t = performance.now();
        while (performance.now() - t < 1) Math.sqrt(Math.random()); // the "server" burns CPU here
        await tick(0);
      },
      { concurrency: 1, warmupMs: 0, durationMs: 200, serverPid: process.pid },
    );
    if (result.serverCpuPercent === undefined) return; // no /proc: not Linux
    // The "server" is this process, so /proc's figure and the runtime's own must agree (within
    // /proc's 10 ms ticks over 200 ms); how much CPU the process got depends on the machine's load.
    expect(result.serverCpuPercent).toBeGreaterThan(0);
    expect(result.clientCpuPercent).toBeGreaterThan(0);
    expect(Math.abs(result.serverCpuPercent - result.clientCpuPercent)).toBeLessThanOrEqual(15);
  });

  it('throws when every call fails', async () => {
    await expect(runClosedLoop(() => Promise.reject(new Error('down')), { concurrency: 2, warmupMs: 0, durationMs: 30 })).rejects.toThrow(
      /no call succeeded.*down/,
    );
  });

  it('rejects nonsense options', async () => {
    await expect(runClosedLoop(async () => {}, { concurrency: 0, warmupMs: 0, durationMs: 10 })).rejects.toThrow(RangeError);
  });
});
