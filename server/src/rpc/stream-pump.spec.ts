import { pumpStream, type StreamSink } from './stream-pump.js';

/** A sink whose buffer holds `capacity` messages until the test drains or closes it. */
class FakeSink implements StreamSink<number> {
  readonly sent: number[] = [];
  closed = false;
  private drainFns = new Set<() => void>();
  private closeFns = new Set<() => void>();
  constructor(private capacity: number) {}
  write(m: number): boolean {
    this.sent.push(m);
    return this.sent.length < this.capacity;
  }
  onDrain(fn: () => void): () => void {
    this.drainFns.add(fn);
    return () => this.drainFns.delete(fn);
  }
  onClose(fn: () => void): () => void {
    this.closeFns.add(fn);
    return () => this.closeFns.delete(fn);
  }
  isClosed(): boolean {
    return this.closed;
  }
  drain(more: number): void {
    this.capacity += more;
    [...this.drainFns].forEach((f) => f());
  }
  close(): void {
    this.closed = true;
    [...this.closeFns].forEach((f) => f());
  }
  listeners(): number {
    return this.drainFns.size + this.closeFns.size;
  }
}

/** A source of `n` numbers that records whether its finally block ran. */
function source(n: number, gate?: Promise<void>): { it: AsyncIterable<number>; cleaned: () => boolean } {
  let cleaned = false;
  async function* gen(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        if (i === 2 && gate !== undefined) await gate;
        yield i;
      }
    } finally {
      cleaned = true;
    }
  }
  return { it: gen(), cleaned: () => cleaned };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('pumpStream', () => {
  test('hands every message over and waits for drain when the sink is full', async () => {
    const sink = new FakeSink(2);
    const src = source(5);
    const done = pumpStream(src.it, sink, { signal: new AbortController().signal, stallTimeoutMs: 10_000 });
    await tick();
    expect(sink.sent).toEqual([0, 1]);
    sink.drain(10);
    expect(await done).toBe('complete');
    expect(sink.sent).toEqual([0, 1, 2, 3, 4]);
    expect(src.cleaned()).toBe(true);
    expect(sink.listeners()).toBe(0);
  });

  test('a close while waiting for drain ends the pump and runs the source cleanup', async () => {
    const sink = new FakeSink(1);
    const src = source(100);
    const done = pumpStream(src.it, sink, { signal: new AbortController().signal, stallTimeoutMs: 10_000 });
    await tick();
    sink.close();
    expect(await done).toBe('closed');
    await tick();
    expect(src.cleaned()).toBe(true);
  });

  test('a client that reads nothing is stuck after the stall timeout', async () => {
    const sink = new FakeSink(1);
    const src = source(100);
    expect(await pumpStream(src.it, sink, { signal: new AbortController().signal, stallTimeoutMs: 50 })).toBe('stuck');
    await tick();
    expect(src.cleaned()).toBe(true);
  });

  test('an abort while blocked on a full sink is stuck; an abort while the source works is aborted', async () => {
    const blocked = new AbortController();
    const p1 = pumpStream(source(100).it, new FakeSink(1), { signal: blocked.signal, stallTimeoutMs: 10_000 });
    await tick();
    blocked.abort();
    expect(await p1).toBe('stuck');

    const working = new AbortController();
    const never = new Promise<void>(() => undefined);
    const src = source(100, never);
    const p2 = pumpStream(src.it, new FakeSink(100), { signal: working.signal, stallTimeoutMs: 10_000 });
    await tick();
    working.abort();
    expect(await p2).toBe('aborted');
  });

  test('a close while the source is waiting on a backend ends the pump at once', async () => {
    const sink = new FakeSink(100);
    const never = new Promise<void>(() => undefined);
    const done = pumpStream(source(100, never).it, sink, { signal: new AbortController().signal, stallTimeoutMs: 10_000 });
    await tick();
    sink.close();
    expect(await done).toBe('closed');
  });

  test('an error of the source propagates', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('boom');
    }
    await expect(pumpStream(failing(), new FakeSink(10), { signal: new AbortController().signal, stallTimeoutMs: 1000 })).rejects.toThrow(
      'boom',
    );
  });
});
