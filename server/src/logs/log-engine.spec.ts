import type { ReadLogInput, ReadLogItem } from '../api/log-api.js';
import { systemClock } from '../common/clock.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import type { DbError } from '../errors/db-error.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { LogEngine } from './log-engine.js';
import { findTail } from './log-tail.js';
import { LocalRequestIndex } from './request-index.js';

function engine(store = new MemoryBlobStore(), maxFollowers = 10): LogEngine {
  return new LogEngine({
    store,
    coordinator: new LocalCoordinator(),
    index: new LocalRequestIndex(600_000, () => Date.now()),
    clock: systemClock,
    settings: {
      batchMaxLines: 1000,
      batchMaxBytes: 1 << 22,
      maxLineBytes: 100,
      requestIdWindowMs: 600_000,
      followPollMs: 50,
      segmentBytes: 8 * 1024 * 1024,
      segmentMaxAgeMs: 60_000,
      maxFollowers,
    },
  });
}

const ctx = () => ({ signal: new AbortController().signal });

async function failure(p: Promise<unknown>): Promise<DbError> {
  try {
    await p;
  } catch (e) {
    return e as DbError;
  }
  throw new Error('expected a failure');
}

async function readAll(e: LogEngine, input: Partial<ReadLogInput>): Promise<ReadLogItem[]> {
  const items: ReadLogItem[] = [];
  for await (const item of e.read(ctx(), {
    log: 'a',
    fromSequence: 0,
    fromEnd: false,
    follow: false,
    progressIntervalMs: 10_000,
    ...input,
  }))
    items.push(item);
  return items;
}

describe('LogEngine', () => {
  test('a bad line among valid ones: INVALID_LOG_LINE with field and index, and none of the request appended', async () => {
    const store = new MemoryBlobStore();
    const e = engine(store);
    await e.append(ctx(), { log: 'a', lines: ['1'] });
    const err = await failure(e.append(ctx(), { log: 'a', lines: ['{"ok":1}', '{"ok":2}', 'not json', '{"ok":3}'] }));
    expect(err.kind).toBe('invalid');
    expect(err.reason).toBe('INVALID_LOG_LINE');
    expect(err.field).toBe('lines[2]');
    expect(err.metadata).toEqual({ field: 'lines[2]', index: '2' });
    expect((await findTail(store, 'a')).next).toBe(2);
  });

  test('refuses bad names, no lines, too many lines, overlong lines and request ids', async () => {
    const e = engine();
    expect((await failure(e.append(ctx(), { log: '..', lines: ['1'] }))).reason).toBe('INVALID_LOG_NAME');
    expect((await failure(e.append(ctx(), { log: 'a', lines: [] }))).field).toBe('lines');
    const many = await failure(e.append(ctx(), { log: 'a', lines: Array.from({ length: 1001 }, () => '1') }));
    expect([many.reason, many.field]).toEqual(['INVALID_ARGUMENT', 'lines']);
    expect((await failure(e.append(ctx(), { log: 'a', lines: [`"${'x'.repeat(99)}"`] }))).reason).toBe('INVALID_LOG_LINE');
    expect((await failure(e.append(ctx(), { log: 'a', lines: ['1'], requestId: 'r'.repeat(129) }))).field).toBe('request_id');
    expect(await e.append(ctx(), { log: 'a', lines: Array.from({ length: 1000 }, () => '1') })).toEqual({
      firstSequence: 1,
      lastSequence: 1000,
      deduplicated: false,
    });
  });

  test('reads from 0, from a sequence inside a chunk, and refuses one above tail + 1 with SEQUENCE_TRIMMED', async () => {
    const e = engine();
    await e.append(ctx(), { log: 'a', lines: ['1', '2', '3'] });
    await e.append(ctx(), { log: 'a', lines: ['4'] });
    const all = (await readAll(e, {})).flatMap((i) => i.entries.map((x) => [x.sequence, x.line]));
    expect(all).toEqual([
      [1, '1'],
      [2, '2'],
      [3, '3'],
      [4, '4'],
    ]);
    const from2 = await readAll(e, { fromSequence: 2 });
    expect(from2.flatMap((i) => i.entries.map((x) => x.sequence))).toEqual([2, 3, 4]);
    expect(from2[from2.length - 1]!.tailSequence).toBe(4);
    expect(await readAll(e, { fromSequence: 5 })).toEqual([]);
    const err = await failure(readAll(e, { fromSequence: 6 }));
    expect([err.kind, err.reason]).toEqual(['out_of_range', 'SEQUENCE_TRIMMED']);
    expect(err.metadata).toMatchObject({ log: 'a', requestedSequence: '6', tailSequence: '4' });
    expect(await readAll(e, { log: 'never' })).toEqual([]);
  });

  test("follow from the end gets only later lines, woken by this server's appends; progress when idle", async () => {
    const e = engine();
    await e.append(ctx(), { log: 'a', lines: ['"old"'] });
    const stop = new AbortController();
    const seen: ReadLogItem[] = [];
    const following = (async () => {
      try {
        for await (const item of e.read(
          { signal: stop.signal },
          { log: 'a', fromSequence: 0, fromEnd: true, follow: true, progressIntervalMs: 100 },
        )) {
          seen.push(item);
          if (item.entries.some((x) => x.line === '"last"')) stop.abort();
        }
      } catch (err) {
        if (!stop.signal.aborted) throw err;
      }
    })();
    await new Promise((r) => setTimeout(r, 250)); // idle: at least one progress message
    await e.append(ctx(), { log: 'a', lines: ['"new"'] });
    await e.append(ctx(), { log: 'a', lines: ['"last"'] });
    await following;
    expect(seen.flatMap((i) => i.entries.map((x) => x.line))).toEqual(['"new"', '"last"']);
    expect(seen.find((i) => i.entries.length === 0)).toEqual({ entries: [], tailSequence: 1 });
    expect(e.activeFollowers()).toBe(0);
  });

  test('followers beyond the limit are RESOURCE_EXHAUSTED / SERVER_OVERLOADED', async () => {
    const e = engine(new MemoryBlobStore(), 1);
    const stop = new AbortController();
    const first = e.read({ signal: stop.signal }, { log: 'a', fromSequence: 0, fromEnd: false, follow: true, progressIntervalMs: 100 });
    const pending = first.next();
    await new Promise((r) => setTimeout(r, 20));
    const err = await failure(readAll(e, { follow: true, progressIntervalMs: 100 }));
    expect([err.kind, err.reason]).toEqual(['resource_exhausted', 'SERVER_OVERLOADED']);
    stop.abort();
    await pending.catch(() => undefined);
    await first.return(undefined);
  });

  test('endFollowers ends every follower with UNAVAILABLE / SHUTTING_DOWN and refuses new ones; plain reads still work', async () => {
    const e = engine();
    await e.append(ctx(), { log: 'a', lines: ['1'] });
    const following = readAll(e, { follow: true, progressIntervalMs: 60_000 });
    await new Promise((r) => setTimeout(r, 30));
    e.endFollowers();
    const ended = await failure(following);
    expect([ended.kind, ended.reason]).toEqual(['unavailable', 'SHUTTING_DOWN']);
    expect((await failure(readAll(e, { follow: true }))).reason).toBe('SHUTTING_DOWN');
    expect((await readAll(e, {})).flatMap((i) => i.entries.map((x) => x.line))).toEqual(['1']);
    expect(e.activeFollowers()).toBe(0);
  });

  test('a request id is deduplicated; an aborted caller does not stop its append', async () => {
    const store = new MemoryBlobStore();
    const e = engine(store);
    const ac = new AbortController();
    const p = e.append({ signal: ac.signal }, { log: 'a', lines: ['"x"'], requestId: 'r' });
    ac.abort();
    expect((await failure(p)).kind).toBe('cancelled');
    expect(await e.append(ctx(), { log: 'a', lines: ['"x"'], requestId: 'r' })).toEqual({
      firstSequence: 1,
      lastSequence: 1,
      deduplicated: true,
    });
    expect((await findTail(store, 'a')).next).toBe(2);
  });
});
