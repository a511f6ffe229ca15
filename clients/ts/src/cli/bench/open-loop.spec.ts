import { runOpenLoop, startOpenLoop } from './open-loop';
import { Recorder, type OpTiming } from './recorder';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs an open loop whose every operation takes `opMs`, recording into a Recorder. */
async function run(rate: number, durationMs: number, maxInFlight: number, opMs: number, signal?: AbortSignal) {
  const rec = new Recorder(performance.now());
  const timings: OpTiming[] = [];
  const picked: number[] = [];
  const result = await runOpenLoop<string>({
    rate,
    durationMs,
    maxInFlight,
    pick: (i) => (picked.push(i), i % 2 === 0 ? 'even' : 'odd'),
    run: async () => (await sleep(opMs), 'ok'),
    done: (kind, t, outcome) => (timings.push(t), rec.add(kind, t, outcome)),
    signal,
  });
  return { rec, timings, picked, result };
}

describe('runOpenLoop', () => {
  test('issues exactly rate × duration operations, each picked once in order, none sent before it is due', async () => {
    const { result, timings, picked, rec } = await run(400, 500, 1000, 2);
    expect(result).toMatchObject({ due: 200, sent: 200, stopped: false });
    expect(picked).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(rec.kinds.get('even')!.latency.totalCount).toBe(100);
    expect(rec.kinds.get('odd')!.latency.totalCount).toBe(100);
    // Due times are the schedule's: 2.5 ms apart from the start.
    const due = timings.map((t) => t.dueMs - result.startMs).sort((a, b) => a - b);
    expect(due[0]).toBeCloseTo(0, 6);
    expect(due[199]).toBeCloseTo(199 * 2.5, 6);
    for (const t of timings) expect(t.sentMs).toBeGreaterThanOrEqual(t.dueMs - 1e-6);
  });

  test('a server slower than the rate shows as latency from the due time (coordinated omission corrected), not only as service time', async () => {
    // One operation at a time, each taking ≥ 20 ms, 200 due per second: operation i cannot be sent
    // before i × 20 ms although it is due at i × 5 ms, so its wait counts.
    const { rec, result } = await run(200, 500, 1, 20);
    expect(result.sent).toBe(100);
    const service = rec.all.service.getValueAtPercentile(50);
    const corrected = rec.all.latency.getValueAtPercentile(99);
    expect(service).toBeGreaterThanOrEqual(19_000);
    expect(corrected).toBeGreaterThan(5 * service);
    expect(rec.maxSendLagMs).toBeGreaterThan(1000);
  });

  test('the in-flight cap holds: never more operations outstanding than maxInFlight', async () => {
    let outstanding = 0;
    let peak = 0;
    await runOpenLoop<string>({
      rate: 1000,
      durationMs: 200,
      maxInFlight: 3,
      pick: () => 'x',
      run: async () => {
        peak = Math.max(peak, ++outstanding);
        await sleep(10);
        outstanding--;
        return 'ok';
      },
      done: () => undefined,
    });
    expect(peak).toBe(3);
  });

  test('an abort stops issuing; operations already sent still complete and are reported', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const { result, rec } = await run(100, 10_000, 100, 30, stop.signal);
    expect(result.stopped).toBe(true);
    expect(result.sent).toBeGreaterThan(0);
    expect(result.sent).toBeLessThan(1000);
    expect(rec.all.latency.totalCount).toBe(result.sent);
  });

  test('refuses a rate that is not > 0 and a cap below 1', async () => {
    const base = { durationMs: 10, pick: () => 'x', run: async () => 'ok', done: () => undefined };
    await expect(runOpenLoop({ ...base, rate: 0, maxInFlight: 1 })).rejects.toThrow(RangeError);
    await expect(runOpenLoop({ ...base, rate: Number.NaN, maxInFlight: 1 })).rejects.toThrow(RangeError);
    await expect(runOpenLoop({ ...base, rate: 10, maxInFlight: 0 })).rejects.toThrow(RangeError);
  });

  describe('on a fake clock', () => {
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

    /** Starts a run of 10 operations/s for 10 s, time zero at 0, at fake time `atMs`; its operations finish when `finish` says. */
    function start(atMs: number, maxInFlight: number) {
      const clock = { ms: atMs };
      const pending: (() => void)[] = [];
      const stop = new AbortController();
      const loop = startOpenLoop<string>(
        {
          rate: 10,
          durationMs: 10_000,
          maxInFlight,
          pick: () => 'x',
          run: () => new Promise((r) => pending.push(() => r('ok'))),
          done: () => undefined,
          now: () => clock.ms,
          signal: stop.signal,
        },
        0,
      );
      return {
        loop,
        /** Stops the run at fake time `ms`; the clock then jumps a minute on. */
        async stopAt(ms: number): Promise<void> {
          clock.ms = ms;
          stop.abort();
          await tick();
          clock.ms = 60_000;
        },
        /** Lets the `n` oldest pending operations finish (all by default). */
        async finish(n = pending.length): Promise<void> {
          for (const f of pending.splice(0, n)) f();
          await tick();
        },
      };
    }

    test('startOpenLoop tells how many operations are in flight while it runs', async () => {
      const held = start(450, 2);
      expect(held.loop.inFlight()).toBe(2); // operations 0..4 are due, the cap lets 2 out
      await held.finish(1);
      expect(held.loop.inFlight()).toBe(2); // the freed slot went to operation 2
      await held.stopAt(650);
      await held.finish(1);
      expect(held.loop.inFlight()).toBe(1); // stopped: nothing more is sent
      await held.finish();
      expect(await held.loop.result).toMatchObject({ sent: 3, stopped: true });
      expect(held.loop.inFlight()).toBe(0);
    });

    test('a stopped run counts as due the operations sent and those the in-flight cap held back when it stopped, not by the clock at its end', async () => {
      // At 450 ms operations 0..4 are due and the cap lets 2 out; by the stop at 650 ms, 5 and 6 are due too.
      const held = start(450, 2);
      await held.stopAt(650);
      await held.finish();
      expect(await held.loop.result).toMatchObject({ due: 7, sent: 2, stopped: true, elapsedMs: 60_000 });
    });

    test('a stopped run that held nothing back: due is what it sent', async () => {
      const held = start(250, 10);
      await held.stopAt(250);
      await held.finish();
      expect(await held.loop.result).toMatchObject({ due: 3, sent: 3, stopped: true });
    });
  });
});
