import { Recorder, type SecondStats } from './recorder';

/** A completion of `kind` at `doneMs` that was due `latencyMs` earlier (sent when due). */
const op = (doneMs: number, latencyMs: number) => ({ dueMs: doneMs - latencyMs, sentMs: doneMs - latencyMs, doneMs });

describe('Recorder.second', () => {
  test('second(t) equals series()[t] for every recorded second', () => {
    const rec = new Recorder(1000);
    rec.add('get', op(1100, 2), 'ok');
    rec.add('get', op(1900, 40), 'ok');
    rec.add('put', op(1950, 7), 'UNAVAILABLE');
    rec.add('put', op(3500, 3), 'conflict'); // second 2; second 1 stays empty
    rec.add('get', op(3999, 120), 'ok');
    const series = rec.series();
    expect(series).toHaveLength(3);
    series.forEach((s, t) => expect(rec.second(t)).toEqual(s));
    expect(rec.second(0)).toMatchObject({ t: 0, completed: 3, failed: 1 });
    expect(rec.second(1)).toMatchObject({ t: 1, completed: 0, p99Ms: 0 });
  });

  test('a second with nothing recorded (before the start or not reached yet) is all zero', () => {
    const rec = new Recorder(0);
    rec.add('get', op(500, 1), 'ok');
    const zero = (t: number): SecondStats => ({ t, completed: 0, failed: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
    expect(rec.second(-1)).toEqual(zero(-1));
    expect(rec.second(1)).toEqual(zero(1));
    expect(rec.second(7)).toEqual(zero(7));
  });
});
