import { ManualClock } from '../../common/manual-clock.js';
import type { PendingRevision } from '../change-feed.js';
import { PENDING_GAUGE_REFRESH_MS, PendingGauge } from './pending-gauge.js';

function pendingIn(...collections: string[]): PendingRevision[] {
  return collections.map((collection, i) => ({
    collection,
    revision: i + 1,
    ref: { id: `d${i}`, op: 'put', prevRevision: 0 },
    allocatedAtMs: 0,
  }));
}

describe('PendingGauge', () => {
  test('an in-process feed is counted at every read', () => {
    let list = pendingIn('a', 'a', 'b');
    const gauge = new PendingGauge({ pending: () => list }, new ManualClock());
    expect(gauge.read()).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
    list = pendingIn('b');
    expect(gauge.read()).toEqual(new Map([['b', 1]]));
  });

  test('a feed answering later: the last counts, refreshed once per second, one refresh at a time', async () => {
    const clock = new ManualClock();
    const answers: Array<(l: PendingRevision[]) => void> = [];
    const gauge = new PendingGauge({ pending: () => new Promise((resolve) => answers.push(resolve)) }, clock);
    expect(gauge.read()).toEqual(new Map());
    expect(gauge.read()).toEqual(new Map());
    expect(answers).toHaveLength(1);
    answers[0]!(pendingIn('a'));
    await gauge.settled();
    expect(gauge.read()).toEqual(new Map([['a', 1]]));
    expect(answers).toHaveLength(1);
    clock.advance(PENDING_GAUGE_REFRESH_MS);
    expect(gauge.read()).toEqual(new Map([['a', 1]]));
    expect(answers).toHaveLength(2);
    answers[1]!(pendingIn());
    await gauge.settled();
    expect(gauge.read()).toEqual(new Map());
  });

  test('a failed refresh keeps the last counts and is logged', async () => {
    const clock = new ManualClock();
    const warnings: string[] = [];
    const gauge = new PendingGauge({ pending: () => Promise.reject(new Error('down')) }, clock, { warn: (_o, msg) => warnings.push(msg) });
    gauge.read();
    await gauge.settled();
    expect(gauge.read()).toEqual(new Map());
    expect(warnings).toEqual(['change feed: counting pending revisions failed']);
  });
});
