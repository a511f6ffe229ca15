import { runInNewContext } from 'node:vm';
import { benchHtml } from './bench-html';
import type { BenchPlan } from './bench-plan';
import { buildReport, curvePercentiles, reportTable, type BenchReport } from './bench-report';
import { Recorder } from './recorder';

const plan: BenchPlan = {
  rate: 100,
  durationS: 2,
  mix: new Map([
    ['get', 3],
    ['put', 1],
  ]),
  keys: 10,
  docBytes: 0,
  maxInFlight: 8,
  collection: 'bench_x',
  index: true,
  maxErrorRate: 0.01,
};

/** 200 operations: gets of 1..150 ms service, puts waiting 1 s behind their due time, two failed, one conflict. */
function sampleReport(): BenchReport {
  const rec = new Recorder(0);
  for (let i = 0; i < 150; i++) rec.add('get', { dueMs: i * 10, sentMs: i * 10, doneMs: i * 10 + i + 1 }, 'ok');
  for (let i = 0; i < 50; i++) {
    const outcome = i < 2 ? 'UNAVAILABLE' : i === 2 ? 'conflict' : 'ok';
    rec.add('put', { dueMs: i * 10, sentMs: i * 10 + 1000, doneMs: i * 10 + 1005 }, outcome);
  }
  return buildReport(plan, '127.0.0.1:1', new Date(0), { startMs: 0, due: 200, sent: 200, elapsedMs: 2000, stopped: false }, rec);
}

describe('buildReport', () => {
  const r = sampleReport();

  test('counts, failures (not conflicts) and the achieved rate', () => {
    expect(r).toMatchObject({ due: 200, sent: 200, completed: 200, failed: 2, achievedRate: 100, maxSendLagMs: 1000 });
    expect(r.kinds['put']!.outcomes).toEqual({ ok: 47, UNAVAILABLE: 2, conflict: 1 });
    expect(r.kinds['put']!.failed).toBe(2);
  });

  test('latency counts from the due time, service time from the send time', () => {
    expect(r.kinds['put']!.latencyMs.p50).toBeCloseTo(1005, 0);
    expect(r.kinds['put']!.serviceMs.p50).toBeCloseTo(5, 0);
    expect(r.kinds['get']!.latencyMs.max).toBeCloseTo(150, 0);
  });

  test('per-second series by completion time', () => {
    expect(r.seconds.map((s) => s.completed).reduce((a, b) => a + b, 0)).toBe(200);
    // Gets finish at 11i + 1 ms: 91 of them within the first second; every put finishes after it.
    expect(r.seconds[0]!.completed).toBe(91);
    expect(r.seconds.reduce((a, s) => a + s.failed, 0)).toBe(2);
  });

  test('curves share one percentile axis ending at 100 % = the maximum', () => {
    const n = r.curves.percentiles.length;
    expect(r.curves.percentiles.slice(0, 3)).toEqual([0, 50, 75]);
    expect(r.curves.percentiles[n - 1]).toBe(100);
    expect(Object.keys(r.curves.latencyMs)).toEqual(['all', 'all (service time)', 'get', 'put']);
    for (const c of Object.values(r.curves.latencyMs)) expect(c).toHaveLength(n);
    expect(r.curves.latencyMs['all']![n - 1]).toBeCloseTo(r.overall.latencyMs.max, 3);
  });

  test('the table has a row per kind and one for all', () => {
    const t = reportTable(r);
    expect(t).toMatch(/200 done, 100\/s achieved, 2 failed/);
    expect(t.split('\n').filter((l) => /│ (get|put|all) /.test(l))).toHaveLength(3);
  });
});

describe('curvePercentiles', () => {
  test('halves the distance to 100 while the count supports it', () => {
    expect(curvePercentiles(1)).toEqual([0, 100]);
    expect(curvePercentiles(4)).toEqual([0, 50, 75, 100]);
    expect(curvePercentiles(1_000_000)).toHaveLength(22);
  });
});

describe('benchHtml', () => {
  test('a self-contained page whose script hands uPlot equal-length series for both charts', () => {
    const r = sampleReport();
    const html = benchHtml(r, reportTable(r));
    expect(html).not.toMatch(/<script[^>]+src=|<link /);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(2);
    expect(scripts[0]!.length).toBeGreaterThan(20_000); // uPlot itself, inlined
    const charts: { opts: { series: unknown[] }; data: unknown[][]; el: string }[] = [];
    class UPlotStub {
      constructor(opts: { series: unknown[] }, data: unknown[][], el: { id: string }) {
        charts.push({ opts, data, el: el.id });
      }
    }
    runInNewContext(scripts[1]!, { uPlot: UPlotStub, document: { body: { clientWidth: 1200 }, getElementById: (id: string) => ({ id }) } });
    expect(charts.map((c) => c.el)).toEqual(['curve', 'time']);
    for (const c of charts) {
      expect(c.data).toHaveLength(c.opts.series.length);
      for (const s of c.data) expect(s).toHaveLength(c.data[0]!.length);
    }
    expect(charts[1]!.data[1]).toEqual(r.seconds.map((s) => s.completed));
  });
});
