/**
 * Issue-4 batch benchmark, run on demand: `node dist/bench/batch-bench.js`.
 * BatchGet of 100 documents vs 100 sequential Gets of the same documents,
 * through our gRPC port, in the same run, on S3 (gofakes3) and on memory
 * storage. Target: BatchGet ≥ 10× faster. Writes bench/results/batch-*.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentService } from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';
import { repoRoot, startGofakes3 } from './processes.js';
import { startSmarterbase, type ServerStorage } from './smarterbase-server.js';
import { round, roundSummary, summarize } from './stats.js';

const DOCS = 100;
const RUNS = Number(process.env.BATCH_BENCH_RUNS ?? 30);

async function measure(storage: ServerStorage) {
  const server = await startSmarterbase(storage);
  try {
    const docs = createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` }));
    const ids = Array.from({ length: DOCS }, (_, i) => `d${String(i).padStart(3, '0')}`);
    const payload = 'x'.repeat(900);
    await Promise.all(ids.map((id) => docs.put({ collection: 'bench', id, data: { id, payload } })));
    const batch = async () => {
      let n = 0;
      for await (const item of docs.batchGet({ collection: 'bench', ids })) if (item.found) n++;
      if (n !== DOCS) throw new Error(`BatchGet found ${n} of ${DOCS}`);
    };
    const sequential = async () => {
      for (const id of ids) await docs.get({ collection: 'bench', id });
    };
    await batch();
    await sequential();
    const b: number[] = [];
    const s: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      let t = performance.now();
      await batch();
      b.push(performance.now() - t);
      t = performance.now();
      await sequential();
      s.push(performance.now() - t);
    }
    const bs = roundSummary(summarize(b));
    const ss = roundSummary(summarize(s));
    return { batchGet: bs, sequentialGets: ss, speedupP50: round(ss.p50 / bs.p50, 2) };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const s3 = await startGofakes3('batchbench');
  try {
    const results = {
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      parameters: { documents: DOCS, runs: RUNS },
      memory: await measure({ kind: 'memory' }),
      s3: await measure({ kind: 's3', endpoint: `http://127.0.0.1:${s3.port}`, bucket: 'batchbench' }),
    };
    const dir = join(repoRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `batch-${results.when.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(results, null, 2));
    console.log(`${DOCS} documents, ${RUNS} runs          BatchGet p50 ms   100× Get p50 ms   speed-up   target >= 10`);
    for (const k of ['memory', 's3'] as const) {
      const r = results[k];
      console.log(`  ${k.padEnd(28)} ${r.batchGet.p50.toFixed(2).padStart(12)} ${r.sequentialGets.p50.toFixed(2).padStart(17)} ${String(r.speedupP50).padStart(9)}×   ${r.speedupP50 >= 10 ? 'PASS' : 'MISS'}`);
    }
    console.log(`written: ${file}`);
  } finally {
    await s3.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
