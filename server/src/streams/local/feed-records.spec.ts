import { encodeRecord, isAllocation, isResolution, parseRecord, revisionOf, type JournalRecord } from './feed-records.js';
import { eventAt } from './feed-test-kit.js';

describe('feed records', () => {
  const records: JournalRecord[] = [
    { a: 17, id: 'doc', op: 'delete', p: 3, t: 1234 },
    { r: [20, 18], e: eventAt(18, 99, [{ id: 'x' }, { id: 'y', revision: 20 }]) },
    { r: [19], e: null },
    { f: 10, c: 21 },
  ];

  it('round-trips every kind as one line', () => {
    for (const rec of records) {
      const line = encodeRecord(rec);
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      expect(parseRecord(line)).toEqual(rec);
    }
    expect(records.map((r) => [isAllocation(r), isResolution(r)])).toEqual([
      [true, false],
      [false, true],
      [false, true],
      [false, false],
    ]);
  });

  it('names the revision a record is about', () => {
    expect(records.map(revisionOf)).toEqual([17, 18, 19, 10]);
  });

  it.each([
    ['{', /JSON/],
    ['[1]', /not a JSON object/],
    ['{"a":1.5,"id":"x","op":"put","p":0,"t":1}', /malformed allocation/],
    ['{"a":1,"id":"x","op":"patch","p":0,"t":1}', /malformed allocation/],
    ['{"r":[],"e":null}', /malformed resolution/],
    ['{"r":[1],"e":{"revision":1}}', /malformed event/],
    ['{"f":-1,"c":1}', /malformed floor/],
    ['{"z":1}', /unknown record/],
  ])('refuses %s', (line, reason) => {
    expect(() => parseRecord(line)).toThrow(reason);
  });
});

describe('feed journal records', () => {
  it('parses allocations of every change op, expire included', () => {
    for (const op of ['put', 'delete', 'expire'] as const) {
      expect(parseRecord(JSON.stringify({ a: 7, id: 'd', op, p: 3, t: 1000 }))).toEqual({ a: 7, id: 'd', op, p: 3, t: 1000 });
    }
  });

  it('refuses an allocation with an unknown op', () => {
    expect(() => parseRecord(JSON.stringify({ a: 7, id: 'd', op: 'purge', p: 3, t: 1000 }))).toThrow(/malformed allocation/);
  });
});
