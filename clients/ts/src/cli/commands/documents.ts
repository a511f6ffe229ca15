/**
 * Document commands: get, put, delete and list.
 */
import type { Command } from 'commander';
import type { JsonObject, StoredDocument } from '../../document.js';
import { documentColumns, formatJson, formatTable, outputFormatOf } from '../output.js';
import { intFlag, parseJsonObject, runAction } from '../runtime.js';
import { readText } from '../input.js';
import { UsageError } from '../cli-errors.js';

/** A document without its data, for the answers of writes. */
function metaOf(d: StoredDocument): Omit<StoredDocument, 'data'> {
  const { data: _data, ...meta } = d;
  return meta;
}

/** Prints documents as a table, a JSON array or JSON Lines. */
export function printDocuments(out: NodeJS.WritableStream, docs: readonly StoredDocument[], format: 'table' | 'json' | 'jsonl'): void {
  if (format === 'table') out.write(docs.length === 0 ? '(no documents)\n' : formatTable(docs, documentColumns(docs)));
  else if (format === 'json') out.write(formatJson(docs, false));
  else for (const d of docs) out.write(formatJson(d, true));
}

/** Registers get, put, delete and list on the program. */
export function registerDocumentCommands(program: Command): void {
  program
    .command('get')
    .description('read one document')
    .argument('<collection>')
    .argument('<id>')
    .option('--data-only', 'print only the document data')
    .action((collection: string, id: string, o: { dataOnly?: boolean }, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const doc = await rt.client().get(collection, id);
        rt.print(o.dataOnly ? doc.data : doc);
      }),
    );

  program
    .command('put')
    .description('write a document; its JSON from FILE, --data, or stdin')
    .argument('<collection>')
    .argument('<id>')
    .argument('[file]', 'a JSON file ("-" or none: stdin)')
    .option('-d, --data <json>', 'the document as JSON text')
    .option('--if-match <etag>', 'write only if the current etag is this one (compare-and-swap)')
    .option('--create-only', 'write only if no document has this id')
    .option('--ttl <ms>', 'the written version expires this many milliseconds after the write')
    .action(
      (
        collection: string,
        id: string,
        file: string | undefined,
        o: { data?: string; ifMatch?: string; createOnly?: boolean; ttl?: string },
        cmd: Command,
      ) =>
        runAction(cmd, async (rt) => {
          if (o.ifMatch !== undefined && o.createOnly) throw new UsageError('--if-match and --create-only exclude each other');
          if (o.data !== undefined && file !== undefined) throw new UsageError('give the document as FILE or --data, not both');
          const text = o.data ?? (await readText(file));
          const data = parseJsonObject(text, file ?? (o.data !== undefined ? '--data' : 'stdin')) as JsonObject;
          const ttlMs = intFlag('--ttl', o.ttl, 1);
          const expiry = ttlMs === undefined ? undefined : { ttlMs };
          const db = rt.client();
          const doc =
            o.ifMatch !== undefined
              ? await db.putIfMatch(collection, id, data, o.ifMatch, { expiry })
              : await db.put(collection, id, data, { createOnly: o.createOnly === true, expiry });
          rt.print(metaOf(doc));
        }),
    );

  program
    .command('delete')
    .description('delete a document (prints {"deleted": false} when there was none)')
    .argument('<collection>')
    .argument('<id>')
    .option('--if-match <etag>', 'delete only this version')
    .action((collection: string, id: string, o: { ifMatch?: string }, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const r = await rt.client().deleteWithRevision(collection, id, { etag: o.ifMatch });
        rt.print(r);
      }),
    );

  program
    .command('list')
    .description('list documents in id order: one page, or every page with --all')
    .argument('<collection>')
    .option('--prefix <idPrefix>', 'only ids starting with this')
    .option('--page-size <n>', 'documents per page (1-1000)')
    .option('--page-token <token>', 'continue after an earlier page')
    .option('--all', 'every page')
    .option('--keys-only', 'ids only (much faster)')
    .option('-o, --output <format>', 'table, json or jsonl')
    .action(
      (
        collection: string,
        o: { prefix?: string; pageSize?: string; pageToken?: string; all?: boolean; keysOnly?: boolean; output?: string },
        cmd: Command,
      ) =>
        runAction(cmd, async (rt) => {
          const format = outputFormatOf(o.output, rt.json);
          const pageSize = intFlag('--page-size', o.pageSize, 1);
          const base = { pageSize, idPrefix: o.prefix, keysOnly: o.keysOnly === true };
          const db = rt.client();
          if (o.all && format === 'jsonl') {
            for await (const d of db.listAll(collection, base)) rt.out.write(formatJson(d, true));
            return;
          }
          const docs: StoredDocument[] = [];
          let token = o.pageToken ?? '';
          do {
            const page = await db.list(collection, { ...base, pageToken: token });
            docs.push(...page.documents);
            token = page.nextPageToken;
          } while (o.all && token !== '');
          printDocuments(rt.out, docs, format);
          if (token !== '') rt.note(`more: --page-token ${token}`);
        }),
    );
}
