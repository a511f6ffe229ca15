import { CellCounter } from './cell-counter.js';
import { InMemoryMetrics } from './in-memory-metrics.js';

describe('CellCounter', () => {
  test('cells add up per attribute set and are reported at collection', async () => {
    const metrics = new InMemoryMetrics();
    const counter = new CellCounter(metrics.meter, 'test.calls', { description: 'd' });
    const a = counter.cell('a', { m: 'a' });
    a.add();
    a.add(2);
    counter.cell('a', { m: 'ignored: same key' }).add();
    counter.cell('b', { m: 'b' }).add();
    expect(a.value).toBe(4);
    expect(await metrics.value('test.calls', { m: 'a' })).toBe(4);
    expect(await metrics.value('test.calls', { m: 'b' })).toBe(1);
    expect(await metrics.points('test.calls')).toHaveLength(2);
    await metrics.shutdown();
  });

  test('an up-down counter can go back to zero', async () => {
    const metrics = new InMemoryMetrics();
    const active = new CellCounter(metrics.meter, 'test.active', { description: 'd', upDown: true });
    const c = active.cell('x', { m: 'x' });
    c.add();
    c.add();
    expect(await metrics.value('test.active', { m: 'x' })).toBe(2);
    c.add(-2);
    expect(await metrics.point('test.active', { m: 'x' })).toMatchObject({ value: 0 });
    await metrics.shutdown();
  });
});
