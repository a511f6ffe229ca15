import { formatDriftTable, median, requestsPerMinute, s3Total, summarizeDrift, type DriftRound, type RawRound } from './drift-report.js';

const round = (o: Partial<DriftRound> = {}): DriftRound => ({
  wallMs: 100,
  cpuMs: 50,
  docs: 100,
  s3: { list: 1, get: 100 },
  redisTrips: 10,
  redisCommands: 400,
  missing: 0,
  stale: 0,
  repaired: 0,
  ...o,
});
const raw = (wallMs: number, cpuMs = 20, gets = 100): RawRound => ({ wallMs, cpuMs, gets });

describe('median', () => {
  it('is the middle value of an odd count, the lower middle of an even one, 0 of none', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([])).toBe(0);
  });
});

describe('summarizeDrift', () => {
  it('gives medians per document of the rounds and the ratio to the raw reads of the same rounds', () => {
    const s = summarizeDrift(
      100,
      'clean',
      [round({ wallMs: 300 }), round({ wallMs: 100 }), round({ wallMs: 200 })],
      [raw(50), raw(40), raw(1000)],
    );
    expect(s).toMatchObject({ sample: 100, index: 'clean', rounds: 3, docs: 100, runMs: 200 });
    expect(s.wallMsPerDoc).toBe(2);
    expect(s.rawWallMsPerDoc).toBe(0.5);
    expect(s.wallRatio).toBe(4);
    expect(s.cpuMsPerDoc).toBe(0.5);
    expect(s.rawCpuMsPerDoc).toBe(0.2);
    expect(s.cpuRatio).toBe(2.5);
    expect(s).toMatchObject({ s3PerRun: 101, s3PerDoc: 1.01, listsPerRun: 1, redisTripsPerDoc: 0.1, redisCommandsPerDoc: 4 });
  });

  it('normalises each round by the documents it read, and counts faults as missing + stale', () => {
    const s = summarizeDrift(10, 'faulty', [round({ docs: 50, wallMs: 100, missing: 3, stale: 2, repaired: 2 })], [raw(25, 10, 50)]);
    expect(s.wallMsPerDoc).toBe(2);
    expect(s.rawWallMsPerDoc).toBe(0.5);
    expect(s.faultsFound).toBe(5);
    expect(s.repaired).toBe(2);
  });

  it('refuses rounds that do not pair', () => {
    expect(() => summarizeDrift(1, 'clean', [round()], [])).toThrow(RangeError);
    expect(() => summarizeDrift(1, 'clean', [], [])).toThrow(RangeError);
  });

  it('reports 0 per document for a run that read nothing', () => {
    const s = summarizeDrift(1, 'clean', [round({ docs: 0, s3: { list: 1 } })], [raw(0, 0, 0)]);
    expect(s.wallMsPerDoc).toBe(0);
    expect(s.wallRatio).toBe(0);
  });
});

describe('s3Total and requestsPerMinute', () => {
  it('adds every operation', () => {
    expect(s3Total(round({ s3: { list: 2, get: 7, head: 1 } }))).toBe(10);
  });

  it('spreads the requests of one run over its interval', () => {
    expect(requestsPerMinute(101, 300_000)).toBe(20.2);
    expect(() => requestsPerMinute(1, 0)).toThrow(RangeError);
  });
});

describe('formatDriftTable', () => {
  it('has a header, an alignment row and one row per summary', () => {
    const s = summarizeDrift(100, 'faulty', [round({ missing: 1 })], [raw(50)]);
    const lines = formatDriftTable([s, { ...s, sample: 1000, docsOverRounds: 700 }]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\| sample \| index \|/);
    expect(lines[2]).toMatch(/^\| 100 \| faulty \| 100 \| - \|/);
    expect(lines[3]).toMatch(/^\| 1000 \| faulty \| 100 \| 700 \|/);
    expect(lines[0]!.split('|')).toHaveLength(lines[2]!.split('|').length);
  });
});
