/**
 * watch: tails a collection's change feed as JSON Lines on stdout, one line
 * per change ({"type", "id", "revision", "document"?}), until interrupted
 * (Ctrl-C) or, with --max-changes, after that many changes.
 */
import type { Command } from 'commander';
import type { WatchBatch } from '../../watch.js';
import { formatJson, toPlain } from '../output.js';
import { intFlag, runAction } from '../runtime.js';

/** The JSONL records of one batch: changes as they are, snapshot documents as "snapshot" records, progress marks only when asked. */
export function watchRecords(batch: WatchBatch, withProgress: boolean): unknown[] {
  if (batch.kind === 'changes') {
    return batch.changes.map((c) => ({
      type: c.type,
      id: c.id,
      revision: c.revision,
      ...(c.document !== undefined ? { document: c.document } : {}),
      ...(batch.transactionId !== '' ? { transactionId: batch.transactionId } : {}),
      ...(batch.commitTime !== undefined ? { commitTime: batch.commitTime } : {}),
    }));
  }
  if (batch.kind === 'snapshot') return batch.documents.map((d) => ({ type: 'snapshot', id: d.id, revision: d.revision, document: d }));
  if (batch.kind === 'snapshotComplete') return [{ type: 'snapshotComplete', revision: batch.revision }];
  return withProgress ? [{ type: 'progress', revision: batch.revision }] : [];
}

/** Registers watch on the program. */
export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description("tail a collection's changes as JSONL until Ctrl-C")
    .argument('<collection>')
    .option('--prefix <idPrefix>', 'only ids starting with this')
    .option('--after <revision>', 'changes after this revision (default: from now)')
    .option('--snapshot', 'first print the current documents ("snapshot" records), then changes')
    .option('--progress', 'also print progress marks')
    .option('--max-changes <n>', 'stop after this many change records')
    .action(
      (
        collection: string,
        o: { prefix?: string; after?: string; snapshot?: boolean; progress?: boolean; maxChanges?: string },
        cmd: Command,
      ) =>
        runAction(cmd, async (rt) => {
          const max = intFlag('--max-changes', o.maxChanges, 1);
          const after = intFlag('--after', o.after, 0);
          const stop = new AbortController();
          const onSignal = (): void => stop.abort();
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          let changes = 0;
          try {
            const stream = rt.client().watch(collection, {
              idPrefix: o.prefix,
              afterRevision: after === undefined ? undefined : BigInt(after),
              initialSnapshot: o.snapshot === true,
              signal: stop.signal,
            });
            for await (const batch of stream) {
              for (const rec of watchRecords(batch, o.progress === true)) {
                rt.out.write(formatJson(toPlain(rec), true));
                if ((rec as { type: string }).type !== 'progress' && ++changes === max) return;
              }
            }
          } catch (e) {
            if (!stop.signal.aborted) throw e;
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
          }
        }),
    );
}
