/**
 * bench/delay-proxy.ts in a process of its own:
 * `node dist/bench/delay-proxy-main.js <upstream port> <one-way delay ms>`.
 * Prints `{"msg":"listening","grpcPort":<port>}` (the line
 * processes.ts startListening waits for; the port is the proxy's, not gRPC)
 * and forwards until SIGTERM. A benchmark whose own process must not pay the
 * proxy's CPU (so that it can count its own per call) runs it this way.
 */
import { startDelayProxy } from './delay-proxy.js';

async function main(): Promise<void> {
  const upstream = Number(process.argv[2]);
  const delayMs = Number(process.argv[3]);
  if (!Number.isInteger(upstream) || upstream < 1 || !(delayMs >= 0)) {
    throw new Error('usage: delay-proxy-main.js <upstream port> <one-way delay ms>');
  }
  const proxy = await startDelayProxy(upstream, delayMs);
  process.once('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
  console.log(JSON.stringify({ msg: 'listening', grpcPort: proxy.port }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
