/**
 * Index commands: create (with a live progress bar while it builds), list,
 * get and drop.
 */
import type { Command } from 'commander';
import type { IndexInfo, IndexKind } from '../../admin.js';
import { formatTable } from '../output.js';
import { createProgress } from '../progress.js';
import { intFlag, runAction, type Runtime } from '../runtime.js';
import { UsageError } from '../cli-errors.js';

const KINDS: readonly IndexKind[] = ['equality', 'unique', 'ordered'];
const COLUMNS = ['name', 'kind', 'fields', 'state', 'documentsScanned', 'error'];

/** Polls the index every pollMs until it is ready (or failed), drawing documentsScanned against the collection's size. */
async function waitWithBar(rt: Runtime, info: IndexInfo, pollMs: number): Promise<IndexInfo> {
  const db = rt.client();
  const bar = createProgress(`index ${info.name}`, process.stderr.isTTY === true && !rt.json, false);
  try {
    // The total is a best effort: a count the server answers by scanning; the bar still moves without it.
    const total = await db.count(info.collection).then(
      (r) => r.count,
      () => 0,
    );
    bar.setTotal(total);
    let cur = info;
    while (cur.state === 'building') {
      bar.update(cur.documentsScanned);
      await new Promise((r) => setTimeout(r, pollMs));
      cur = await db.getIndex(info.collection, info.name);
    }
    bar.update(cur.documentsScanned);
    return cur;
  } finally {
    bar.stop();
  }
}

/** Registers `index create|list|get|drop` on the program. */
export function registerIndexCommands(program: Command): void {
  const index = program.command('index').description('secondary indexes: create, list, get, drop');

  index
    .command('create')
    .description('create an index and wait, with a progress bar, until it is ready (e.g. index create users by_age age --kind ordered)')
    .argument('<collection>')
    .argument('<name>', '1-64 characters of [a-z0-9_], starting with a letter')
    .argument('<fields...>', 'dotted field paths (1-4; exactly 1 for ordered)')
    .option('--kind <kind>', 'equality, unique or ordered', 'equality')
    .option('--hash-values', 'store HMACs of the values (equality/unique; needs SB_INDEX_HASH_KEY_FILE on the server)')
    .option('--no-wait', 'return at once, while the index may still be building')
    .option('--poll <ms>', 'pause between state polls', '250')
    .action(
      (
        collection: string,
        name: string,
        fields: string[],
        o: { kind: string; hashValues?: boolean; wait: boolean; poll: string },
        cmd: Command,
      ) =>
        runAction(cmd, async (rt) => {
          if (!KINDS.includes(o.kind as IndexKind)) throw new UsageError(`--kind must be equality, unique or ordered (got "${o.kind}")`);
          const pollMs = intFlag('--poll', o.poll, 10) ?? 250;
          const created = await rt
            .client()
            .createIndex({ collection, name, fields, kind: o.kind as IndexKind, hashValues: o.hashValues === true });
          const info = o.wait && created.state === 'building' ? await waitWithBar(rt, created, pollMs) : created;
          rt.print(info);
          if (info.state === 'failed') {
            rt.note(`error: index ${name} failed to build: ${info.error}`);
            process.exitCode = 1;
          }
        }),
    );

  index
    .command('list')
    .description("a collection's indexes")
    .argument('<collection>')
    .action((collection: string, _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const list = await rt.client().listIndexes(collection);
        rt.print(list, () => (list.length === 0 ? '(no indexes)\n' : formatTable(list, COLUMNS)));
      }),
    );

  index
    .command('get')
    .description('one index with its state and build progress')
    .argument('<collection>')
    .argument('<name>')
    .action((collection: string, name: string, _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => rt.print(await rt.client().getIndex(collection, name))),
    );

  index
    .command('drop')
    .description('drop an index and its entries')
    .argument('<collection>')
    .argument('<name>')
    .action((collection: string, name: string, _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => {
        await rt.client().dropIndex(collection, name);
        rt.print({ dropped: true, collection, name });
      }),
    );
}
