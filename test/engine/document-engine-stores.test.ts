/**
 * The engine's key guarantees over every real store stack: memory, filesystem,
 * and S3 (a real gofakes3 process) behind LockedConditionsStore with a
 * RedisCoordinator on a real redis-server — there with two engines on separate
 * S3 clients and Redis connections, as two server processes would be (the
 * cases: document-engine-scenarios.ts; on a Redis Cluster: test/cluster/cluster-stores.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import { FilesystemBlobStore } from '../../server/src/storage/filesystem/filesystem-store.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { startS3Server, type S3TestServer } from '../harness/s3-server.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import { documentEngineScenarios, lockedS3Engines, type EngineStack } from './document-engine-scenarios.js';

let s3: S3TestServer | undefined;
let redis: RedisTestServer | undefined;
let tempRoot: string | undefined;

beforeAll(async () => {
  [s3, redis, tempRoot] = await Promise.all([startS3Server('engine'), startRedis(), mkdtemp(join(tmpdir(), 'sb-eng-'))]);
});
afterAll(async () => {
  await Promise.all([s3?.stop(), redis?.stop()]);
  if (tempRoot !== undefined) await rm(tempRoot, { recursive: true, force: true });
});

let n = 0;
const subjects: { name: string; make: () => Promise<EngineStack> }[] = [
  {
    name: 'MemoryBlobStore',
    make: async () => {
      const store = new MemoryBlobStore();
      return {
        engines: [new DocumentEngine({ coordinator: new LocalCoordinator(), store, pageTokenSecret: 'k' })],
        close: () => store.close(),
      };
    },
  },
  {
    name: 'FilesystemBlobStore',
    make: async () => {
      const store = await FilesystemBlobStore.open({ root: join(tempRoot as string, `r${n++}`) });
      return {
        engines: [new DocumentEngine({ coordinator: new LocalCoordinator(), store, pageTokenSecret: 'k' })],
        close: () => store.close(),
      };
    },
  },
  {
    name: 'two engines: LockedConditionsStore(S3 gofakes3) + RedisCoordinator each',
    make: () => lockedS3Engines(s3!, () => RedisCoordinator.connect({ url: redis!.url }), `stack-${n++}/`),
  },
];

describe.each(subjects)('DocumentEngine over $name', ({ make }) => {
  documentEngineScenarios(make);
});
