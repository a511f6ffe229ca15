/**
 * Object commands: put (a file or stdin), get (to a file or stdout), ls and
 * rm. Metadata goes to stdout for put / ls / rm, to stderr for get (stdout
 * carries the bytes when no file is given).
 */
import { once } from 'node:events';
import type { Command } from 'commander';
import type { ObjectInfo } from '../../object-types.js';
import { formatJson, formatTable } from '../output.js';
import { createProgress } from '../progress.js';
import { intFlag, runAction } from '../runtime.js';

/** Registers `object put|get|ls|rm` on the program. */
export function registerObjectCommands(program: Command): void {
  const object = program.command('object').description('binary objects: put, get, ls, rm');

  object
    .command('put')
    .description('store a file (or stdin) as an object')
    .argument('<collection>')
    .argument('<id>')
    .argument('[file]', 'the file ("-" or none: stdin)')
    .option('--content-type <type>', 'the MIME type stored with it')
    .option('--create-only', 'fail if the object exists')
    .option('--if-match <etag>', 'replace only this version')
    .action(
      (
        collection: string,
        id: string,
        file: string | undefined,
        o: { contentType?: string; createOnly?: boolean; ifMatch?: string },
        cmd: Command,
      ) =>
        runAction(cmd, async (rt) => {
          const objects = rt.client().objects;
          const bar = createProgress(`upload ${id}`, process.stderr.isTTY === true && !rt.json);
          const options = {
            contentType: o.contentType,
            createOnly: o.createOnly === true,
            ifMatch: o.ifMatch,
            onProgress: (n: number) => bar.update(n, n),
          };
          try {
            const info =
              file === undefined || file === '-'
                ? await objects.upload(collection, id, process.stdin, options)
                : await objects.uploadFile(collection, id, file, options);
            rt.print(info);
          } finally {
            bar.stop();
          }
        }),
    );

  object
    .command('get')
    .description('download an object to a file, or to stdout')
    .argument('<collection>')
    .argument('<id>')
    .argument('[file]', 'the file to write ("-" or none: stdout)')
    .action((collection: string, id: string, file: string | undefined, _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const objects = rt.client().objects;
        let info: ObjectInfo;
        if (file === undefined || file === '-') {
          info = await objects.download(collection, id, async (data) => {
            if (!process.stdout.write(data)) await once(process.stdout, 'drain');
          });
        } else {
          info = await objects.downloadFile(collection, id, file);
        }
        if (rt.json) rt.err.write(formatJson(info, true));
        else rt.note(`${info.id}: ${info.sizeBytes} bytes, sha256 ${info.sha256}`);
      }),
    );

  object
    .command('ls')
    .description("a collection's objects in id order")
    .argument('<collection>')
    .option('--prefix <idPrefix>', 'only ids starting with this')
    .option('--page-size <n>', 'objects per page (1-1000)')
    .option('--all', 'every page')
    .action((collection: string, o: { prefix?: string; pageSize?: string; all?: boolean }, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const objects = rt.client().objects;
        const list: ObjectInfo[] = [];
        let pageToken = '';
        do {
          const page = await objects.list(collection, { pageSize: intFlag('--page-size', o.pageSize, 1), pageToken, idPrefix: o.prefix });
          list.push(...page.objects);
          pageToken = page.nextPageToken;
        } while (o.all && pageToken !== '');
        rt.print(list, () =>
          list.length === 0 ? '(no objects)\n' : formatTable(list, ['id', 'sizeBytes', 'contentType', 'version', 'updateTime']),
        );
        if (pageToken !== '') rt.note('more: use --all');
      }),
    );

  object
    .command('rm')
    .description('delete an object (prints {"deleted": false} when there was none)')
    .argument('<collection>')
    .argument('<id>')
    .option('--if-match <etag>', 'delete only this version')
    .action((collection: string, id: string, o: { ifMatch?: string }, cmd: Command) =>
      runAction(cmd, async (rt) => rt.print({ deleted: await rt.client().objects.delete(collection, id, { etag: o.ifMatch }) })),
    );
}
