import { HealthMonitor, type Probe } from './health-monitor.js';

/** A probe whose outcome the test sets: ok, fail, or hang (never settles by itself). */
function scripted(): { probe: Probe; mode: 'ok' | 'fail' | 'hang'; calls: number } {
  const s = {
    mode: 'ok' as 'ok' | 'fail' | 'hang',
    calls: 0,
    probe: async (_signal: AbortSignal): Promise<void> => {
      s.calls++;
      if (s.mode === 'fail') throw new Error('connect ECONNREFUSED');
      if (s.mode === 'hang') await new Promise(() => undefined);
    },
  };
  return s;
}

describe('HealthMonitor', () => {
  test('subsystems start up; down after failuresToDown failed probes in a row; up after one good probe', async () => {
    const storage = scripted();
    const coordination = scripted();
    const errors: string[] = [];
    const m = new HealthMonitor({
      probes: { storage: storage.probe, coordination: coordination.probe },
      intervalMs: 1000,
      onProbeError: (s) => errors.push(s),
    });
    const changes: [string, boolean][] = [];
    m.subscribe((s, up) => changes.push([s, up]));
    expect(m.subsystems).toEqual(['storage', 'coordination']);
    expect(m.isUp('storage')).toBe(true);
    storage.mode = 'fail';
    await m.probeOnce();
    expect(m.isUp('storage')).toBe(true); // one failure is not an outage
    await m.probeOnce();
    expect(m.isUp('storage')).toBe(false);
    expect(m.isUp('coordination')).toBe(true);
    await m.probeOnce();
    expect(changes).toEqual([['storage', false]]); // told once
    storage.mode = 'ok';
    await m.probeOnce();
    expect(m.isUp('storage')).toBe(true);
    expect(changes).toEqual([
      ['storage', false],
      ['storage', true],
    ]);
    expect(errors).toEqual(['storage', 'storage', 'storage']);
    expect(m.isUp('nope')).toBe(false);
    await m.close();
  });

  test('a probe that hangs (and ignores its signal) fails at timeoutMs', async () => {
    const storage = scripted();
    storage.mode = 'hang';
    const m = new HealthMonitor({ probes: { storage: storage.probe }, intervalMs: 1000, timeoutMs: 20, failuresToDown: 1 });
    await m.probeOnce();
    expect(m.isUp('storage')).toBe(false);
    await m.close();
  });

  test('start() probes every interval until close()', async () => {
    jest.useFakeTimers();
    try {
      const storage = scripted();
      const m = new HealthMonitor({ probes: { storage: storage.probe }, intervalMs: 100 });
      m.start();
      m.start();
      await jest.advanceTimersByTimeAsync(350);
      expect(storage.calls).toBe(3);
      await m.close();
      await jest.advanceTimersByTimeAsync(500);
      expect(storage.calls).toBe(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
