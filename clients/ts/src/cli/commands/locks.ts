/**
 * Lock commands: list (the state of named locks: the server has no call that
 * enumerates locks), get and release (with the lease id the holder got).
 */
import type { Command } from 'commander';
import { formatTable } from '../output.js';
import { runAction } from '../runtime.js';

/** Registers `lock list|get|release` on the program. */
export function registerLockCommands(program: Command): void {
  const lock = program.command('lock').description('locks: list, get, release');

  lock
    .command('list')
    .description('the state of each named lock (LockService cannot enumerate locks, so name them)')
    .argument('<names...>')
    .action((names: string[], _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const db = rt.client();
        const rows = await Promise.all(names.map(async (name) => ({ name, ...(await db.getLock(name)) })));
        rt.print(rows, () => formatTable(rows, ['name', 'held', 'holder', 'fencingToken', 'expireTime']));
      }),
    );

  lock
    .command('get')
    .description('whether a lock is held, by whom and until when')
    .argument('<name>')
    .action((name: string, _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => rt.print({ name, ...(await rt.client().getLock(name)) })),
    );

  lock
    .command('release')
    .description('free a lock with its lease id (prints {"released": false} when the lease is no longer current)')
    .argument('<name>')
    .requiredOption('--lease-id <id>', 'the lease id the holder got from Acquire')
    .action((name: string, o: { leaseId: string }, cmd: Command) =>
      runAction(cmd, async (rt) => rt.print({ name, released: await rt.client().release({ name, leaseId: o.leaseId }) })),
    );
}
