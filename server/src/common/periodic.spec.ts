import { Periodic } from './periodic.js';

describe('Periodic', () => {
  test('runs rounds one after another until closed, and close waits for the round in progress', async () => {
    let rounds = 0;
    let inRound = false;
    let overlapped = false;
    let release: () => void = () => undefined;
    const periodic = new Periodic(async () => {
      overlapped ||= inRound;
      inRound = true;
      rounds++;
      if (rounds === 3) await new Promise<void>((r) => (release = r));
      inRound = false;
    }, 5);
    periodic.start();
    while (rounds < 3) await new Promise((r) => setTimeout(r, 5));
    let closed = false;
    const closing = periodic.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(closed).toBe(false); // the third round is still running
    expect(periodic.signal.aborted).toBe(true);
    release();
    await closing;
    await new Promise((r) => setTimeout(r, 30));
    expect(rounds).toBe(3);
    expect(overlapped).toBe(false);
  });

  test('a failing round does not stop the rounds', async () => {
    let rounds = 0;
    const periodic = new Periodic(async () => {
      rounds++;
      throw new Error('boom');
    }, 5);
    periodic.start();
    while (rounds < 3) await new Promise((r) => setTimeout(r, 5));
    await periodic.close();
  });
});
