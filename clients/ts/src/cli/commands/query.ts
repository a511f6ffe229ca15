/**
 * Query commands: query (filter expression, order, limit; table, JSON or
 * JSONL), count and explain.
 */
import type { Command } from 'commander';
import type { StoredDocument } from '../../document.js';
import { asc, desc, type OrderBy } from '../../filter.js';
import { formatJson, outputFormatOf } from '../output.js';
import { intFlag, runAction } from '../runtime.js';
import { UsageError } from '../cli-errors.js';
import { printDocuments } from './documents.js';

/** Parses --order "field" / "field desc" / "-field" / "a,-b" into sort keys (at most 8). */
export function parseOrder(value: string | undefined): OrderBy[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const keys = value.split(',').map((part) => {
    const p = part.trim();
    const m = /^(-)?([^\s]+)(?:\s+(asc|desc))?$/i.exec(p);
    if (m === null) throw new UsageError(`--order: cannot read "${p}" (use "field", "-field" or "field desc")`);
    const descending = m[1] === '-' || m[3]?.toLowerCase() === 'desc';
    return descending ? desc(m[2]) : asc(m[2]);
  });
  if (keys.length > 8) throw new UsageError('--order takes at most 8 keys');
  return keys;
}

interface QueryFlags {
  where?: string;
  order?: string;
  limit?: string;
  offset?: string;
  fields?: string;
  requireIndex?: boolean;
  output?: string;
}

/** Registers query, count and explain on the program. */
export function registerQueryCommands(program: Command): void {
  program
    .command('query')
    .description('documents matching a filter, e.g. query users -w \'age >= 21 AND status = "active"\' --order -age --limit 10')
    .argument('<collection>')
    .option('-w, --where <filter>', 'filter expression (docs/queries.md); none: every document')
    .option('--order <keys>', 'sort keys: "age", "-age" or "age desc", comma separated')
    .option('--limit <n>', 'at most this many documents')
    .option('--offset <n>', 'skip this many matching documents first')
    .option('--fields <paths>', 'keep only these dotted data paths (comma separated)')
    .option('--require-index', 'fail instead of scanning the collection')
    .option('-o, --output <format>', 'table, json or jsonl')
    .action((collection: string, o: QueryFlags, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const format = outputFormatOf(o.output, rt.json);
        const stream = rt.client().query(collection, {
          filterExpression: o.where,
          orderBy: parseOrder(o.order),
          limit: intFlag('--limit', o.limit, 0),
          offset: intFlag('--offset', o.offset, 0),
          projection: o.fields?.split(',').map((f) => f.trim()),
          requireIndex: o.requireIndex === true,
        });
        if (format === 'jsonl') {
          for await (const d of stream) rt.out.write(formatJson(d, true));
          return;
        }
        const docs: StoredDocument[] = await stream.toArray();
        printDocuments(rt.out, docs, format);
      }),
    );

  program
    .command('count')
    .description('how many documents match a filter')
    .argument('<collection>')
    .option('-w, --where <filter>', 'filter expression; none: every document')
    .option('--require-index', 'fail instead of scanning the collection')
    .action((collection: string, o: QueryFlags, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const r = await rt.client().count(collection, { filterExpression: o.where, requireIndex: o.requireIndex === true });
        rt.print(r, () => `${r.count}\n`);
      }),
    );

  program
    .command('explain')
    .description('the plan the server would use for a query, without running it')
    .argument('<collection>')
    .option('-w, --where <filter>', 'filter expression')
    .option('--order <keys>', 'sort keys as for query')
    .option('--limit <n>', 'limit as for query')
    .action((collection: string, o: QueryFlags, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const plan = await rt.client().explain(collection, {
          filterExpression: o.where,
          orderBy: parseOrder(o.order),
          limit: intFlag('--limit', o.limit, 0),
        });
        rt.print(plan);
      }),
    );
}
