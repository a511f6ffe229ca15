import { MetricsGate } from './metrics-gate.js';

describe('MetricsGate', () => {
  test('an ungated endpoint serves every scrape', async () => {
    expect(await new MetricsGate(false).statusOf(undefined)).toBe(200);
  });

  test('a gated endpoint answers 503 until its check is set, then 401 or 200 by the check', async () => {
    const gate = new MetricsGate(true);
    expect(await gate.statusOf('Bearer k')).toBe(503);
    gate.set((a) => Promise.resolve(a === 'Bearer k'));
    expect(await gate.statusOf('Bearer k')).toBe(200);
    expect(await gate.statusOf('Bearer x')).toBe(401);
    expect(await gate.statusOf(undefined)).toBe(401);
  });
});
