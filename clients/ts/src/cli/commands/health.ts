/**
 * health: the gRPC health check (grpc.health.v1.Health/Check, needs no
 * credentials), and completion: the shell completion scripts.
 */
import type { Command } from 'commander';
import { createClient as createConnectClient } from '@connectrpc/connect';
import { toSmarterBaseError } from '../../errors.js';
import { Health, HealthCheckResponse_ServingStatus } from '../../gen/grpc/health/v1/health_pb.js';
import { UsageError } from '../cli-errors.js';
import { bashCompletion, zshCompletion } from '../completion.js';
import { runAction } from '../runtime.js';

/** Registers health and completion on the program. */
export function registerHealthCommands(program: Command): void {
  program
    .command('health')
    .description('check that the server answers and is serving (exit code 1 if not)')
    .option('--service <name>', 'a service name (default: the server as a whole)', '')
    .action((o: { service: string }, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const health = createConnectClient(Health, rt.transport());
        const started = performance.now();
        let status: HealthCheckResponse_ServingStatus;
        try {
          status = (await health.check({ service: o.service })).status;
        } catch (e) {
          throw toSmarterBaseError(e);
        }
        const name = HealthCheckResponse_ServingStatus[status] ?? String(status);
        const ms = Math.round(performance.now() - started);
        const addr = rt.connection().addr;
        rt.print({ addr, status: name, ms }, () => `${addr}: ${name} (${ms} ms)\n`);
        if (status !== HealthCheckResponse_ServingStatus.SERVING) process.exitCode = 1;
      }),
    );

  program
    .command('completion')
    .description('print a shell completion script: source <(smarterbase completion bash)')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string, _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => {
        if (shell === 'bash') rt.out.write(bashCompletion(program));
        else if (shell === 'zsh') rt.out.write(zshCompletion(program));
        else throw new UsageError(`completion: shell must be bash or zsh (got "${shell}")`);
      }),
    );
}
