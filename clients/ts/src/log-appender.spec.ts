import { Code } from '@connectrpc/connect';
import { rejection } from '../test/expect-error.js';
import { fakeLogServer, serverError } from '../test/log-fake.js';
import type { AppenderOptions } from './log-appender.js';

/** Fast, recorded resends for the tests. */
const fast = (delays: number[] = []): AppenderOptions => ({
  retry: { maxAttempts: 4, initialBackoffMs: 1, maxBackoffMs: 5 },
  hooks: { onRetry: (_r, _e, ms) => delays.push(ms) },
});

describe('logs.appender', () => {
  it('forms batches of maxLines from many adds and resolves each line to its sequence, in add order', async () => {
    const fake = await fakeLogServer();
    try {
      const appender = fake.db.logs.appender('audit', { maxLines: 100, maxDelayMs: 60_000 });
      const seqs = await Promise.all(Array.from({ length: 1000 }, (_, i) => appender.add({ i })));
      expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => BigInt(i + 1)));
      expect(fake.appends.map((a) => a.lines.length)).toEqual(Array(10).fill(100));
      expect(fake.log).toEqual(Array.from({ length: 1000 }, (_, i) => `{"i":${i}}`));
      expect(new Set(fake.appends.map((a) => a.requestId)).size).toBe(10);
      await appender.close();
    } finally {
      await fake.close();
    }
  });

  it('sends a partial batch once its oldest line waited maxDelayMs, and splits by maxBytes', async () => {
    const fake = await fakeLogServer();
    try {
      const appender = fake.db.logs.appender('audit', { maxDelayMs: 5 });
      expect(await Promise.all([appender.add(1), appender.add(2), appender.add(3)])).toEqual([1n, 2n, 3n]);
      expect(fake.appends.map((a) => a.lines)).toEqual([['1', '2', '3']]);
      const bySize = fake.db.logs.appender('audit', { maxBytes: 10, maxDelayMs: 60_000 });
      const lines = ['"aaaa"', '"bbbb"', '"cccccccccccccccc"', '"d"'];
      const adds = lines.map((l) => bySize.add(l));
      await bySize.flush();
      expect(await Promise.all(adds)).toEqual([4n, 5n, 6n, 7n]);
      expect(fake.appends.slice(1).map((a) => a.lines)).toEqual([['"aaaa"'], ['"bbbb"'], ['"cccccccccccccccc"'], ['"d"']]);
    } finally {
      await fake.close();
    }
  });

  it('keeps one batch in flight per appender, so its lines land in add order across batches', async () => {
    const fake = await fakeLogServer();
    try {
      const one = fake.db.logs.appender('audit', { maxLines: 3, maxDelayMs: 0 });
      const first = await Promise.all(Array.from({ length: 30 }, (_, i) => one.add(i)));
      expect(first).toEqual(Array.from({ length: 30 }, (_, i) => BigInt(i + 1)));
      expect(fake.maxInFlight()).toBe(1);
      fake.log.length = 0;
      const a = fake.db.logs.appender('audit', { maxLines: 3, maxDelayMs: 0 });
      const b = fake.db.logs.appender('audit', { maxLines: 2, maxDelayMs: 0 });
      const adds: Promise<bigint>[] = [];
      for (let i = 0; i < 20; i++) adds.push(a.add(`"a${i}"`), b.add(`"b${i}"`));
      await Promise.all([a.close(), b.close()]);
      await Promise.all(adds);
      const order = (p: string) => fake.log.filter((l) => l.startsWith(`"${p}`));
      expect(order('a')).toEqual(Array.from({ length: 20 }, (_, i) => `"a${i}"`));
      expect(order('b')).toEqual(Array.from({ length: 20 }, (_, i) => `"b${i}"`));
      // Two appenders overlap; never more: each has at most one call in flight.
      expect(fake.maxInFlight()).toBeLessThanOrEqual(2);
      expect(fake.log).toHaveLength(40);
    } finally {
      await fake.close();
    }
  });

  it('resends a batch that failed UNAVAILABLE (after landing) with the identical request id and lines: exactly once', async () => {
    const delays: number[] = [];
    const fake = await fakeLogServer({ appendScript: [{ storeThenError: serverError(Code.Unavailable, 'BACKEND_UNAVAILABLE', {}, 20) }] });
    try {
      const retry = { maxAttempts: 4, initialBackoffMs: 1, maxBackoffMs: 100 };
      const appender = fake.db.logs.appender('audit', { ...fast(delays), retry, maxDelayMs: 60_000 });
      const adds = [appender.add('"x"'), appender.add('"y"')];
      await appender.close();
      expect(await Promise.all(adds)).toEqual([1n, 2n]);
      expect(fake.appends).toHaveLength(2);
      expect(fake.appends[1].requestId).toBe(fake.appends[0].requestId);
      expect(fake.appends[1].lines).toEqual(fake.appends[0].lines);
      expect(fake.log).toEqual(['"x"', '"y"']);
      expect(delays[0]).toBeGreaterThanOrEqual(20); // the server's RetryInfo (capped by maxBackoffMs)
    } finally {
      await fake.close();
    }
  });

  it('resends with the same request id after DEADLINE_EXCEEDED (the attempt may have landed), without the client retry', async () => {
    const fake = await fakeLogServer({ appendScript: [{ storeThenHang: true }], client: { timeoutMs: 300 } });
    try {
      const appender = fake.db.logs.appender('audit', { ...fast(), maxDelayMs: 60_000 });
      const add = appender.add('"x"');
      await appender.flush();
      expect(await add).toBe(1n);
      expect(fake.appends.map((a) => a.requestId)).toEqual([fake.appends[0].requestId, fake.appends[0].requestId]);
      expect(fake.log).toEqual(['"x"']);
    } finally {
      await fake.close();
    }
  });

  it('fails only the batch a non-retryable error (INVALID_LOG_LINE) refused; flush reports it; later batches land', async () => {
    const fake = await fakeLogServer();
    try {
      const appender = fake.db.logs.appender('audit', { ...fast(), maxLines: 2, maxDelayMs: 60_000 });
      const adds = ['"a"', '"BAD"', '"c"', '"d"'].map((l) => appender.add(l));
      const err = await rejection(appender.flush());
      expect(err.reason).toBe('INVALID_LOG_LINE');
      expect((await rejection(adds[0])).reason).toBe('INVALID_LOG_LINE');
      expect((await rejection(adds[1])).reason).toBe('INVALID_LOG_LINE');
      expect(await Promise.all(adds.slice(2))).toEqual([1n, 2n]);
      expect(fake.appends).toHaveLength(2); // not retried
      expect(appender.failedLines).toBe(2);
      await appender.close(); // the failure was reported once
    } finally {
      await fake.close();
    }
  });

  it('fails a batch after maxAttempts UNAVAILABLE answers', async () => {
    const unavailable = { error: serverError(Code.Unavailable, 'BACKEND_UNAVAILABLE') };
    const fake = await fakeLogServer({ appendScript: [unavailable, unavailable, unavailable, unavailable] });
    try {
      const appender = fake.db.logs.appender('audit', { ...fast(), maxDelayMs: 0 });
      const err = await rejection(appender.add('"x"'));
      expect(err.code).toBe(Code.Unavailable);
      expect(fake.appends).toHaveLength(4);
      expect(new Set(fake.appends.map((a) => a.requestId)).size).toBe(1);
      expect(await appender.add('"y"')).toBe(1n);
      await rejection(appender.close());
    } finally {
      await fake.close();
    }
  });

  it('turns the client retry (UNAVAILABLE) retry off for its calls, so attempts do not multiply', async () => {
    const unavailable = { error: serverError(Code.Unavailable, 'BACKEND_UNAVAILABLE') };
    const fake = await fakeLogServer({
      appendScript: Array(8).fill(unavailable),
      client: { retry: { initialBackoffMs: 1, maxBackoffMs: 2 } },
    });
    try {
      const appender = fake.db.logs.appender('audit', { retry: { maxAttempts: 2, initialBackoffMs: 1, maxBackoffMs: 2 }, maxDelayMs: 0 });
      expect((await rejection(appender.add('"x"'))).code).toBe(Code.Unavailable);
      expect(fake.appends).toHaveLength(2);
      await rejection(fake.db.logs.append('audit', ['"y"'])); // a plain append keeps the client's retry: 4 attempts
      expect(fake.appends).toHaveLength(6);
    } finally {
      await fake.close();
    }
  });

  it('close() sends what waits (maxDelayMs not reached) and refuses further lines', async () => {
    const fake = await fakeLogServer();
    try {
      const appender = fake.db.logs.appender('audit', { maxDelayMs: 60_000 });
      const adds = [appender.add(1), appender.add(2), appender.add(3)];
      expect(fake.appends).toHaveLength(0);
      await appender.close();
      expect(await Promise.all(adds)).toEqual([1n, 2n, 3n]);
      expect(fake.appends).toHaveLength(1);
      expect(() => appender.add(4)).toThrow(/closed/);
      await appender.close();
    } finally {
      await fake.close();
    }
  });
});
