/**
 * Scenario 3 (issue 3): secondary indexes and queries on S3 + Redis. Loads
 * N documents through gRPC, then measures in one run the indexed equality
 * query against the same filter forced onto a scan, time to first result of
 * an ordered query (index walk vs scan + sort), server RSS while streaming
 * the whole collection, and Count answered from the index alone.
 */
import { createDocClient } from './doc-client.js';
import { createIndexReady, explain, queryClients, timeCount, timeQuery, type QueryClients, type QuerySpec } from './query-client.js';
import { categoryOf, idsOfCategory, median, queryDoc, queryDocId } from './query-data.js';
import { startQueryStack, type QueryStack } from './query-stack.js';
import { round } from './stats.js';
import { sleep } from './processes.js';

/** Options of the query scenario. */
export interface QueryBenchOptions {
  /** Documents to load (N). */
  readonly docs: number;
  /** Puts in flight while loading. */
  readonly loadConcurrency: number;
  /** Measured runs of each indexed query / Count. */
  readonly runs: number;
  /** Measured runs of each scan. */
  readonly scanRuns: number;
  /** Progress lines go here. */
  readonly log: (message: string) => void;
}

/** p50 of a few runs of one query, ms. */
export interface QueryTiming {
  /** Runs measured. */
  readonly runs: number;
  /** Median time to the first streamed document, ms. */
  readonly firstP50Ms: number;
  /** Median time to the last message (done), ms. */
  readonly lastP50Ms: number;
  /** Documents each run returned. */
  readonly results: number;
  /** Explain: the plan scans. */
  readonly scan: boolean;
  /** Explain: the indexes used. */
  readonly indexesUsed: string[];
}

/** Everything the query scenario measured. */
export interface QueryBenchResult {
  /** Documents loaded. */
  readonly docs: number;
  /** Puts in flight while loading. */
  readonly loadConcurrency: number;
  /** Load wall time, s. */
  readonly loadSeconds: number;
  /** Load rate, documents/s. */
  readonly loadDocsPerSecond: number;
  /** (a) indexed equality query matching docs/1000 documents. */
  readonly equalityIndexed: QueryTiming;
  /** (a) the same filter on the unindexed copy field: scan. */
  readonly equalityScan: QueryTiming;
  /** (a) scan p50 / indexed p50, time to last result. */
  readonly equalityRatio: number;
  /** (b) order by score limit 1000, index walk. */
  readonly orderedIndexed: QueryTiming;
  /** (b) order by the unindexed copy limit 1000: scan + in-memory top-k. */
  readonly orderedScan: QueryTiming;
  /** (c) one Query streaming every document (no filter, id order). */
  readonly streamAll: QueryTiming & {
    /** Median server RSS over 1 s before the stream, MiB. */
    readonly idleRssMiB: number;
    /** Highest RSS sampled (every 100 ms) during the stream, MiB. */
    readonly peakRssMiB: number;
    /** peak − idle, MiB. */
    readonly rssGrowthMiB: number;
    /** RSS samples taken. */
    readonly samples: number;
  };
  /** (d) Count on the indexed equality filter. */
  readonly count: {
    readonly runs: number;
    readonly p50Ms: number;
    readonly count: number;
    /** Highest storage_requests any run reported. */
    readonly maxStorageRequests: number;
    /** smarterbase_storage_operations_total after − before the runs (undefined without metrics). */
    readonly storageOperationsDelta?: number;
  };
}

const COLLECTION = 'bench_query';

async function load(o: QueryBenchOptions, address: string): Promise<number> {
  const client = createDocClient('grpc-js', address);
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (let i = next++; i < o.docs; i = next++) {
      await client.put(COLLECTION, queryDocId(i), queryDoc(i));
      if (++done % 10_000 === 0) o.log(`query: loaded ${done} (${Math.round(done / ((performance.now() - t0) / 1000))} docs/s)`);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.loadConcurrency }, worker));
  } finally {
    client.close();
  }
  return (performance.now() - t0) / 1000;
}

async function timed(
  c: QueryClients,
  spec: QuerySpec,
  runs: number,
  check: (ids: string[], run: number) => void,
  specOf?: (run: number) => QuerySpec,
): Promise<QueryTiming> {
  const plan = await explain(c, COLLECTION, spec);
  const first: number[] = [];
  const last: number[] = [];
  let results = 0;
  for (let run = 0; run < runs; run++) {
    const t = await timeQuery(c, COLLECTION, specOf?.(run) ?? spec, true);
    check(t.ids, run);
    first.push(t.firstMs);
    last.push(t.lastMs);
    results = t.count;
  }
  return {
    runs,
    firstP50Ms: round(median(first)),
    lastP50Ms: round(median(last)),
    results,
    scan: plan.scan,
    indexesUsed: [...plan.indexesUsed],
  };
}

function expectIds(what: string, got: string[], want: string[]): void {
  if (got.length !== want.length || got.some((id, k) => id !== want[k])) {
    throw new Error(
      `${what}: got ${got.length} ids (${got.slice(0, 3).join(',')}…), expected ${want.length} (${want.slice(0, 3).join(',')}…)`,
    );
  }
}

async function streamAll(stack: QueryStack, c: QueryClients, o: QueryBenchOptions): Promise<QueryBenchResult['streamAll']> {
  const idle: number[] = [];
  for (let k = 0; k < 10; k++) {
    idle.push(await stack.rssMiB());
    await sleep(100);
  }
  const idleRssMiB = median(idle);
  let peak = idleRssMiB;
  let samples = 0;
  const timer = setInterval(() => {
    stack.rssMiB().then(
      (v) => {
        samples++;
        peak = Math.max(peak, v);
      },
      () => undefined,
    );
  }, 100);
  const spec = {};
  const plan = await explain(c, COLLECTION, spec);
  let t;
  try {
    t = await timeQuery(c, COLLECTION, spec, false);
  } finally {
    clearInterval(timer);
  }
  if (t.count !== o.docs) throw new Error(`stream of all documents returned ${t.count}, expected ${o.docs}`);
  return {
    runs: 1,
    firstP50Ms: round(t.firstMs),
    lastP50Ms: round(t.lastMs),
    results: t.count,
    scan: plan.scan,
    indexesUsed: [...plan.indexesUsed],
    idleRssMiB: round(idleRssMiB, 1),
    peakRssMiB: round(peak, 1),
    rssGrowthMiB: round(peak - idleRssMiB, 1),
    samples,
  };
}

async function counts(stack: QueryStack, c: QueryClients, o: QueryBenchOptions): Promise<QueryBenchResult['count']> {
  const before = await stack.storageOperations();
  const ms: number[] = [];
  let maxStorageRequests = 0;
  let count = 0;
  for (let run = 0; run < o.runs; run++) {
    const cat = categoryOf(run);
    const r = await timeCount(c, COLLECTION, `cat = "${cat}"`);
    ms.push(r.ms);
    count = r.count;
    maxStorageRequests = Math.max(maxStorageRequests, r.storageRequests);
    const want = idsOfCategory(o.docs, cat).length;
    if (r.count !== want) throw new Error(`Count(cat = "${cat}") = ${r.count}, expected ${want}`);
  }
  const after = await stack.storageOperations();
  const delta = before !== undefined && after !== undefined ? after - before : undefined;
  return {
    runs: o.runs,
    p50Ms: round(median(ms)),
    count,
    maxStorageRequests,
    ...(delta !== undefined ? { storageOperationsDelta: delta } : {}),
  };
}

/** Runs the query scenario end to end; every process it starts is stopped before it resolves. */
export async function runQueryBench(o: QueryBenchOptions): Promise<QueryBenchResult> {
  const stack = await startQueryStack();
  const c = queryClients(stack.address);
  try {
    o.log(`query: server pid ${stack.server.pid} on ${stack.address} (s3 + redis); creating indexes`);
    await createIndexReady(c, COLLECTION, 'by_cat', 'cat', 'equality');
    await createIndexReady(c, COLLECTION, 'by_score', 'score', 'ordered');
    o.log(`query: loading ${o.docs} documents, ${o.loadConcurrency} in flight`);
    const loadSeconds = await load(o, stack.address);
    const loadDocsPerSecond = round(o.docs / loadSeconds, 0);
    o.log(`query: loaded in ${loadSeconds.toFixed(1)} s (${loadDocsPerSecond} docs/s)`);

    const byCat = (field: string) => (run: number) => ({ filter: `${field} = "${categoryOf(run)}"` });
    const checkCat = (what: string) => (ids: string[], run: number) =>
      expectIds(`${what} ${categoryOf(run)}`, ids, idsOfCategory(o.docs, categoryOf(run)));
    await timeQuery(c, COLLECTION, byCat('cat')(999), false); // warm-up
    const equalityIndexed = await timed(c, byCat('cat')(0), o.runs, checkCat('indexed'), byCat('cat'));
    o.log(`query: indexed equality p50 ${equalityIndexed.lastP50Ms} ms; scanning ${o.scanRuns}×`);
    const equalityScan = await timed(c, byCat('catCopy')(0), o.scanRuns, checkCat('scan'), byCat('catCopy'));
    o.log(`query: scan equality p50 ${equalityScan.lastP50Ms} ms`);

    let walked: string[] = [];
    const orderedIndexed = await timed(c, { orderBy: 'score', limit: 1000 }, o.runs, (ids) => {
      if (ids.length !== Math.min(1000, o.docs)) throw new Error(`ordered query returned ${ids.length} ids`);
      walked = ids;
    });
    const orderedScan = await timed(c, { orderBy: 'scoreCopy', limit: 1000 }, o.scanRuns, (ids) =>
      expectIds('ordered scan vs index walk', ids, walked),
    );
    o.log(`query: ordered first result ${orderedIndexed.firstP50Ms} ms (index) vs ${orderedScan.firstP50Ms} ms (scan)`);

    const all = await streamAll(stack, c, o);
    o.log(`query: streamed ${all.results} in ${all.lastP50Ms} ms, RSS ${all.idleRssMiB} → ${all.peakRssMiB} MiB`);
    const count = await counts(stack, c, o);
    return {
      docs: o.docs,
      loadConcurrency: o.loadConcurrency,
      loadSeconds: round(loadSeconds, 2),
      loadDocsPerSecond,
      equalityIndexed,
      equalityScan,
      equalityRatio: round(equalityScan.lastP50Ms / equalityIndexed.lastP50Ms, 1),
      orderedIndexed,
      orderedScan,
      streamAll: all,
      count,
    };
  } finally {
    await stack.stop();
  }
}
