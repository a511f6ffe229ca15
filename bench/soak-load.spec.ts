import { runOpenLoop, type InFlight } from './soak-load.js';

describe('runOpenLoop', () => {
  it('starts every due call once, in order, without waiting for earlier ones to end', async () => {
    const inFlight: InFlight = { count: 0 };
    const started: number[] = [];
    const release: (() => void)[] = [];
    const r = await runOpenLoop(
      { rate: 1000, durationMs: 100, maxInFlight: 1000 },
      (i) => {
        started.push(i);
        return new Promise<void>((resolve) => release.push(resolve));
      },
      inFlight,
    );
    expect(r.scheduled).toBe(100);
    expect(r.started).toBe(100);
    expect(r.notStarted).toBe(0);
    expect(started).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(inFlight.count).toBe(100); // none has ended: the loop never waited for them
    expect(r.maxInFlight).toBe(100);
    for (const f of release) f();
    await r.settled;
    expect(inFlight.count).toBe(0);
  });

  it('counts due calls over the in-flight cap as not started', async () => {
    const inFlight: InFlight = { count: 0 };
    const release: (() => void)[] = [];
    const r = await runOpenLoop(
      { rate: 1000, durationMs: 50, maxInFlight: 5 },
      () => new Promise<void>((resolve) => release.push(resolve)),
      inFlight,
    );
    expect(r.started).toBe(5);
    expect(r.notStarted).toBe(45);
    for (const f of release) f();
    await r.settled;
  });

  it('stops starting calls once abandon() says so', async () => {
    let n = 0;
    const r = await runOpenLoop(
      { rate: 1000, durationMs: 1000, maxInFlight: 10, abandon: () => n >= 3 },
      async () => {
        n++;
      },
      { count: 0 },
    );
    expect(r.started).toBe(3);
    await r.settled;
  });

  it('rejects a rate, duration or cap that is not positive', async () => {
    await expect(runOpenLoop({ rate: 0, durationMs: 1, maxInFlight: 1 }, async () => undefined, { count: 0 })).rejects.toThrow(RangeError);
  });
});
