import { SweepTimer } from './sweep-timer.js';

const report = { aborted: 1, deleted: 0, completed: 0, orphans: 0 };

function recorder() {
  const lines: [string, object][] = [];
  return { lines, log: { info: (o: object, m: string) => lines.push([m, o]), warn: (o: object, m: string) => lines.push([m, o]) } };
}

describe('SweepTimer', () => {
  test('a round that did something is logged; a failed round is logged and not thrown', async () => {
    const { lines, log } = recorder();
    let fail = false;
    const timer = new SweepTimer(
      'upload sweep',
      async () => {
        if (fail) throw new Error('S3 down');
        return report;
      },
      60_000,
      log,
    );
    expect(await timer.runOnce()).toEqual(report);
    fail = true;
    expect(await timer.runOnce()).toBeUndefined();
    expect(lines.map(([m]) => m)).toEqual(['upload sweep', 'upload sweep failed; retried at the next round']);
  });

  test('a round that did nothing is not logged; a custom test decides what is worth a line', async () => {
    const { lines, log } = recorder();
    const idle = new SweepTimer('trash sweep', async () => ({ deleted: 0, dropped: 0 }), 60_000, log);
    expect(await idle.runOnce()).toEqual({ deleted: 0, dropped: 0 });
    const busy = new SweepTimer(
      'orphan scan',
      async () => ({ scanned: 5, deleted: 0 }),
      60_000,
      log,
      (r) => r.deleted > 0,
    );
    await busy.runOnce();
    const other = new SweepTimer('trash sweep', async () => ({ deleted: 0, dropped: 2 }), 60_000, log);
    await other.runOnce();
    expect(lines).toEqual([['trash sweep', { deleted: 0, dropped: 2 }]]);
  });

  test('ticks run rounds one at a time; close() aborts the round in progress, waits for it, and stops the ticks', async () => {
    let calls = 0;
    let signal: AbortSignal | undefined;
    let entered!: () => void;
    const inRound = new Promise<void>((r) => (entered = r));
    const timer = new SweepTimer(
      'upload sweep',
      async (s) => {
        calls++;
        signal = s;
        entered();
        // A round that lasts until it is aborted (many ticks pass meanwhile: none starts a second round).
        await new Promise<void>((r) => s.addEventListener('abort', () => r()));
        return undefined;
      },
      5,
    );
    timer.start();
    await inRound;
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
    await timer.close();
    expect(signal?.aborted).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
  });
});
