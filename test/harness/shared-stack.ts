/**
 * The production shape for cross-process tests: a real S3-compatible server
 * and a real redis-server on free loopback ports, and several SmarterBase
 * processes sharing them.
 */
import { startRedis } from './redis-server.js';
import { startS3Server } from './s3-server.js';
import { startServer, type ServerProcess } from './server-process.js';
import { sharedStackEnv } from './stack-env.js';

/** A running stack. */
export interface SharedStack {
  readonly s3: Awaited<ReturnType<typeof startS3Server>>;
  readonly redis: Awaited<ReturnType<typeof startRedis>>;
  readonly servers: ServerProcess[];
  /** Stops the servers, then S3 and Redis. */
  stop(): Promise<void>;
}

/** Starts S3 + Redis and `count` servers on them (S3 storage, Redis coordination), with `env` added. */
export async function startSharedStack(count: number, env: Record<string, string> = {}): Promise<SharedStack> {
  const [s3, redis] = await Promise.all([startS3Server(), startRedis()]);
  const serverEnv = {
    ...sharedStackEnv({ s3: s3, redis: redis }),
    ...env,
  };
  let servers: ServerProcess[] = [];
  try {
    servers = await Promise.all(Array.from({ length: count }, () => startServer(serverEnv)));
  } catch (e) {
    await Promise.all([s3.stop(), redis.stop()]);
    throw e;
  }
  return {
    s3,
    redis,
    servers,
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      await Promise.all([s3.stop(), redis.stop()]);
    },
  };
}
