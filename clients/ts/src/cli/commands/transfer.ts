/**
 * export and import of a collection as JSONL (format: jsonl.ts), streamed,
 * with a progress bar on stderr and a final summary (documents, bytes, rate).
 * import --resume skips documents already present with identical data, so a
 * rerun after an interruption writes only what is missing or different.
 */
import { once } from 'node:events';
import type { Command } from 'commander';
import { put } from '../../batch.js';
import type { JsonObject } from '../../document.js';
import { UsageError } from '../cli-errors.js';
import { readLines } from '../input.js';
import { batches, exportLine, parseImportLine, sameData, type ExportRecord } from '../jsonl.js';
import { createProgress, summaryLine } from '../progress.js';
import { intFlag, runAction, type Runtime } from '../runtime.js';

/** Items per BatchWrite of an import (the server's default maximum is 500). */
const IMPORT_BATCH_ITEMS = 200;
/** JSONL bytes per BatchWrite (the server's default largest message is 5 MiB). */
const IMPORT_BATCH_BYTES = 2 * 1024 * 1024;

/** Figures of a running import. */
interface ImportTally {
  written: number;
  skipped: number;
  expired: number;
  failed: number;
  errors: string[];
}

/** Writes one batch: skips expired records and, with resume, records stored with identical data. */
async function importBatch(rt: Runtime, collection: string, batch: ExportRecord[], resume: boolean, t: ImportTally): Promise<void> {
  const db = rt.client();
  const now = Date.now();
  let todo = batch.filter((r) => r.expireTime === undefined || r.expireTime.getTime() > now);
  t.expired += batch.length - todo.length;
  if (resume && todo.length > 0) {
    const stored = new Map<string, JsonObject>();
    for await (const item of db.batchGet(
      collection,
      todo.map((r) => r.id),
    )) {
      if (item.found && item.document !== undefined) stored.set(item.id, item.document.data);
    }
    const before = todo.length;
    todo = todo.filter((r) => {
      const s = stored.get(r.id);
      return s === undefined || !sameData(s, r.data);
    });
    t.skipped += before - todo.length;
  }
  if (todo.length === 0) return;
  const results = await db.batchWrite(
    collection,
    todo.map((r) => put(r.id, r.data, r.expireTime !== undefined ? { expiry: { expireTime: r.expireTime } } : undefined)),
  );
  for (const r of results) {
    if (r.ok) t.written++;
    else {
      t.failed++;
      if (t.errors.length < 5) t.errors.push(`${r.id}: ${r.error?.message ?? 'failed'}`);
    }
  }
}

/** Registers export and import on the program. */
export function registerTransferCommands(program: Command): void {
  program
    .command('export')
    .description('write every document of a collection to stdout as JSONL: smarterbase export users > users.jsonl')
    .argument('<collection>')
    .option('--prefix <idPrefix>', 'only ids starting with this')
    .option('--page-size <n>', 'documents per List call (1-1000)', '1000')
    .action((collection: string, o: { prefix?: string; pageSize: string }, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const db = rt.client();
        const started = Date.now();
        const bar = createProgress(`export ${collection}`, process.stderr.isTTY === true && !rt.json);
        let documents = 0;
        let bytes = 0;
        try {
          if (process.stderr.isTTY) bar.setTotal(o.prefix === undefined ? (await db.count(collection)).count : 0);
          for await (const d of db.listAll(collection, { pageSize: intFlag('--page-size', o.pageSize, 1), idPrefix: o.prefix })) {
            const line = exportLine(d);
            documents++;
            bytes += Buffer.byteLength(line);
            if (!rt.out.write(line)) await once(rt.out, 'drain');
            if (documents % 100 === 0) bar.update(documents, bytes);
          }
        } finally {
          bar.stop();
        }
        const summary = { documents, bytes, elapsedMs: Date.now() - started };
        rt.note(summaryLine('exported', summary));
        if (rt.json) rt.err.write(JSON.stringify({ exported: summary }) + '\n');
      }),
    );

  program
    .command('import')
    .description('write the documents of a JSONL file (or stdin) into a collection: smarterbase import users < users.jsonl')
    .argument('<collection>')
    .argument('[file]', 'a JSONL file ("-" or none: stdin)')
    .option('--resume', 'skip documents already stored with identical data (rerun an interrupted import)')
    .option('--concurrency <n>', 'BatchWrite calls in flight', '4')
    .action((collection: string, file: string | undefined, o: { resume?: boolean; concurrency: string }, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const concurrency = intFlag('--concurrency', o.concurrency, 1) ?? 4;
        const started = Date.now();
        const bar = createProgress(`import ${collection}`, process.stderr.isTTY === true && !rt.json);
        const t: ImportTally = { written: 0, skipped: 0, expired: 0, failed: 0, errors: [] };
        let bytes = 0;
        let lineNo = 0;
        async function* records(): AsyncGenerator<{ item: ExportRecord; bytes: number }> {
          for await (const line of readLines(file)) {
            lineNo++;
            const b = Buffer.byteLength(line) + 1;
            bytes += b;
            let rec: ExportRecord | undefined;
            try {
              rec = parseImportLine(line, lineNo);
            } catch (e) {
              throw new UsageError((e as Error).message);
            }
            if (rec !== undefined) yield { item: rec, bytes: b };
          }
        }
        const inFlight = new Set<Promise<void>>();
        let fatal: unknown;
        try {
          for await (const batch of batches(records(), IMPORT_BATCH_ITEMS, IMPORT_BATCH_BYTES, (r) => r.id)) {
            const p: Promise<void> = importBatch(rt, collection, batch, o.resume === true, t)
              .catch((e: unknown) => void (fatal ??= e))
              .finally(() => {
                inFlight.delete(p);
                bar.update(t.written + t.skipped + t.failed, bytes);
              });
            inFlight.add(p);
            if (inFlight.size >= concurrency) await Promise.race(inFlight);
            if (fatal !== undefined) break;
          }
        } finally {
          await Promise.all(inFlight);
          bar.stop();
        }
        if (fatal !== undefined) throw fatal;
        const summary = { documents: t.written, skipped: t.skipped, failed: t.failed, bytes, elapsedMs: Date.now() - started };
        rt.note(summaryLine('imported', summary) + (t.expired > 0 ? ` (${t.expired} already expired, not written)` : ''));
        if (rt.json) rt.err.write(JSON.stringify({ imported: { ...summary, expired: t.expired } }) + '\n');
        for (const e of t.errors) rt.note(`error: ${e}`);
        if (t.failed > 0) process.exitCode = 1;
      }),
    );
}
