import * as http2 from 'node:http2';
import { Code } from '@connectrpc/connect';
import { isSequenceTrimmed, SmarterBaseError } from './errors.js';
import { entries, fakeLogServer, serverError, waitFor } from '../test/log-fake.js';
import type { LogEntry, ReadLogOptions } from './log-reader.js';

/** Fast, recorded resumes for the tests. */
const fast = (o: ReadLogOptions = {}, delays: number[] = []): ReadLogOptions => ({
  ...o,
  backoff: { initialBackoffMs: 1, maxBackoffMs: 5 },
  hooks: { onResume: (_a, _e, ms) => delays.push(ms) },
});

/** Collects entries until `count` were delivered, then leaves the loop. */
async function take(it: AsyncIterable<LogEntry>, count: number, seen: LogEntry[] = []): Promise<LogEntry[]> {
  for await (const e of it) {
    seen.push(e);
    if (seen.length === count) break;
  }
  return seen;
}

async function failure(it: AsyncIterable<LogEntry>, seen: LogEntry[] = []): Promise<SmarterBaseError> {
  try {
    for await (const e of it) seen.push(e);
  } catch (e) {
    expect(e).toBeInstanceOf(SmarterBaseError);
    return e as SmarterBaseError;
  }
  throw new Error('expected the read to fail');
}

const seqs = (es: LogEntry[]) => es.map((e) => Number(e.sequence));

describe('logs.read', () => {
  it('after UNAVAILABLE mid-stream, calls again from the last sequence + 1 and yields no duplicate', async () => {
    const fake = await fakeLogServer({
      readScripts: [
        [entries([1, 2]), entries([3]), { error: serverError(Code.Unavailable, 'SHUTTING_DOWN') }],
        [entries([3, 4]), entries([5], 9)], // a resumed call that resends an old entry first
      ],
    });
    try {
      const stream = fake.db.logs.read('audit', fast({ follow: true }));
      const got = await take(stream, 5);
      expect(seqs(got)).toEqual([1, 2, 3, 4, 5]);
      expect(got[0]).toEqual({ sequence: 1n, line: '{"n":1}', appendTime: new Date(1_700_000_000_000) });
      expect(fake.reads.map((r) => [Number(r.fromSequence), r.follow, r.log])).toEqual([
        [0, true, 'audit'],
        [4, true, 'audit'],
      ]);
      expect([stream.lastSequence, stream.tailSequence, stream.resumes]).toEqual([5n, 9n, 1]);
    } finally {
      await fake.close();
    }
  });

  it.each([
    ['RST_STREAM INTERNAL_ERROR', http2.constants.NGHTTP2_INTERNAL_ERROR],
    ['RST_STREAM NO_ERROR (ended without status)', http2.constants.NGHTTP2_NO_ERROR],
  ])('resumes after a dropped stream (%s) without a gap', async (_name, code) => {
    let got8!: () => void;
    const after = new Promise<void>((resolve) => (got8 = resolve));
    const fake = await fakeLogServer({ readScripts: [[entries([7, 8]), { reset: code, after }], [entries([9])]] });
    try {
      const got: LogEntry[] = [];
      for await (const e of fake.db.logs.read('audit', fast({ fromSequence: 7n, follow: true }))) {
        if (got.push(e) === 2) got8();
        if (got.length === 3) break;
      }
      expect(seqs(got)).toEqual([7, 8, 9]);
      expect(fake.reads.map((r) => Number(r.fromSequence))).toEqual([7, 9]);
    } finally {
      await fake.close();
    }
  });

  it('without follow ends when the stream ends; with follow a stream ended without status is resumed', async () => {
    const fake = await fakeLogServer({ readScripts: [[entries([1, 2]), { end: true }], [entries([1]), { end: true }], [entries([2])]] });
    try {
      const all: LogEntry[] = [];
      for await (const e of fake.db.logs.read('audit', fast())) all.push(e);
      expect(seqs(all)).toEqual([1, 2]);
      expect(seqs(await take(fake.db.logs.read('audit', fast({ follow: true })), 2))).toEqual([1, 2]);
      expect(fake.reads.map((r) => Number(r.fromSequence))).toEqual([0, 0, 2]);
    } finally {
      await fake.close();
    }
  });

  it('with fromEnd, resumes after the tail the first call reported (not from the end again)', async () => {
    const fake = await fakeLogServer({
      readScripts: [[entries([], 41), { error: serverError(Code.Unavailable, 'SHUTTING_DOWN') }], [entries([42])]],
    });
    try {
      const got = await take(fake.db.logs.read('audit', fast({ fromEnd: true, follow: true, progressIntervalMs: 250 })), 1);
      expect(seqs(got)).toEqual([42]);
      expect(fake.reads.map((r) => [Number(r.fromSequence), r.fromEnd])).toEqual([
        [0, true],
        [42, false],
      ]);
      expect(fake.reads[0].progressInterval).toMatchObject({ seconds: 0n, nanos: 250_000_000 });
    } finally {
      await fake.close();
    }
  });

  it('surfaces SEQUENCE_TRIMMED as the error, without resuming', async () => {
    const trimmed = serverError(Code.OutOfRange, 'SEQUENCE_TRIMMED', { log: 'audit', requestedSequence: '1', oldestSequence: '100' });
    const fake = await fakeLogServer({ readScripts: [[{ error: trimmed }]] });
    try {
      const err = await failure(fake.db.logs.read('audit', fast({ fromSequence: 1n, follow: true })));
      expect(isSequenceTrimmed(err)).toBe(true);
      expect([err.code, err.metadata.oldestSequence]).toEqual([Code.OutOfRange, '100']);
      expect(fake.reads).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('fails with DATA_LOSS on a gap in the sequences received', async () => {
    const fake = await fakeLogServer({ readScripts: [[entries([1, 2, 4])]] });
    try {
      const seen: LogEntry[] = [];
      const err = await failure(fake.db.logs.read('audit', fast({ follow: true })), seen);
      expect([err.code, seqs(seen)]).toEqual([Code.DataLoss, [1, 2]]);
    } finally {
      await fake.close();
    }
  });

  it('leaving the loop or aborting the signal ends the call on the server (counted in its termination callback)', async () => {
    const fake = await fakeLogServer({ readScripts: [[entries([1])], [entries([1])]] });
    try {
      await take(fake.db.logs.read('audit', fast({ follow: true })), 1);
      await waitFor(() => fake.cancelled.length === 1);
      const abort = new AbortController();
      const seen: LogEntry[] = [];
      const pending = failure(fake.db.logs.read('audit', fast({ follow: true, signal: abort.signal })), seen);
      await waitFor(() => seen.length === 1);
      abort.abort();
      expect((await pending).code).toBe(Code.Canceled);
      await waitFor(() => fake.cancelled.length === 2);
      expect(fake.cancelled).toEqual([0, 1]);
      expect(fake.reads).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it('without follow gives up after maxAttempts consecutive failures', async () => {
    const down = { error: serverError(Code.Unavailable, 'SHUTTING_DOWN') };
    const fake = await fakeLogServer({ readScripts: [[down], [down]] });
    try {
      const err = await failure(fake.db.logs.read('audit', fast({ maxAttempts: 2 })));
      expect(err.code).toBe(Code.Unavailable);
      expect(fake.reads).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });
});
