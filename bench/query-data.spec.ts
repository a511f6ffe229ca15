import {
  CATEGORY_COUNT,
  categoryOf,
  idsOfCategory,
  median,
  parseVmRssKiB,
  queryDoc,
  queryDocId,
  scoreOf,
  sumMetric,
} from './query-data.js';

describe('query benchmark documents', () => {
  test('are about 200 bytes of JSON, with indexed fields equal to their unindexed copies', () => {
    for (const i of [0, 7, 99_999, 1_234_567]) {
      const doc = queryDoc(i);
      expect(JSON.stringify(doc).length).toBeGreaterThanOrEqual(195);
      expect(JSON.stringify(doc).length).toBeLessThanOrEqual(205);
      expect(doc.cat).toBe(doc.catCopy);
      expect(doc.score).toBe(doc.scoreCopy);
      expect(doc.n).toBe(i);
    }
  });

  test('have 1000 categories, so each of 100,000 documents categories matches exactly 100', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(categoryOf(i));
    expect(seen.size).toBe(CATEGORY_COUNT);
    const ids = idsOfCategory(100_000, 'c0042');
    expect(ids).toHaveLength(100);
    expect(ids[0]).toBe(queryDocId(42));
    expect(ids[99]).toBe(queryDocId(99_042));
  });

  test('ids sort as their numbers and scores are spread, not monotonic', () => {
    expect(queryDocId(9) < queryDocId(10)).toBe(true);
    expect(queryDocId(99_999)).toBe('q0099999');
    const scores = Array.from({ length: 100 }, (_, i) => scoreOf(i));
    expect(new Set(scores).size).toBe(100);
    expect(scores.slice(1).some((s, k) => s < scores[k])).toBe(true);
    expect(Math.max(...scores)).toBeLessThan(100_000.3);
  });
});

describe('parsers', () => {
  test('parseVmRssKiB reads the VmRSS line', () => {
    expect(parseVmRssKiB('Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   51234 kB\nThreads: 11\n')).toBe(51234);
    expect(parseVmRssKiB('Name:\tzombie\n')).toBeUndefined();
  });

  test('sumMetric sums every labelled sample of exactly that metric', () => {
    const text = [
      '# HELP smarterbase_storage_operations_total ops',
      '# TYPE smarterbase_storage_operations_total counter',
      'smarterbase_storage_operations_total{op="get",outcome="ok",backend="s3"} 12 1700000000',
      'smarterbase_storage_operations_total{op="put",outcome="ok",backend="s3"} 30',
      'smarterbase_storage_operations_total_other 1000',
      'smarterbase_rpc_total 5',
    ].join('\n');
    expect(sumMetric(text, 'smarterbase_storage_operations_total')).toBe(42);
    expect(sumMetric(text, 'missing_metric')).toBeUndefined();
  });

  test('median is the nearest-rank middle value', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(() => median([])).toThrow(RangeError);
  });
});
