/**
 * A server dying between a Commit's answer and its cleanup
 * (docs/adr/0011-commit-cleanup-after-response.md), on S3 (gofakes3) + Redis:
 * a server armed with SB_FAILPOINTS=txn.after-response=pause answers a
 * Commit (with a request_id) and holds its cleanup; the test SIGKILLs it
 * there. Left behind: a committed intent and a request record without its
 * result. Then, through other servers:
 *   - before any recovery, a reader sees the committed state with the
 *     answered etags and versions (nothing half-applied: every write, and no
 *     document still marked);
 *   - recovery by a restarted server's start-up sweep, or by a retry with the
 *     request_id, removes the intent and completes the record; the retry
 *     answers exactly the first answer (transaction id, etags, versions,
 *     commit time) and writes nothing again;
 *   - a graceful stop waits for a held cleanup only up to its drain limit,
 *     exits, and leaves the committed intent to recovery.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { CommitResponse } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { sharedStackEnv } from '../harness/stack-env.js';
import { bucketDebris, testS3Client } from '../harness/txn-debris.js';
import { deleteWrite, setWrite, type TxnWriteInit } from '../harness/txn-writes.js';

jest.setTimeout(180_000);

/** No periodic sweep during a trial: only what the trial does recovers the transaction. */
const NO_SWEEP = { SB_TXN_SWEEP_INTERVAL_MS: '3600000' };

let stack: SharedStack | undefined;
let reader: ServerClients;
let s3: S3Client;
const started: ServerProcess[] = [];

beforeAll(async () => {
  stack = await startSharedStack(1, NO_SWEEP);
  reader = serverClients(stack.servers[0]!.grpcUrl);
  s3 = testS3Client(stack.s3.endpoint);
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop('SIGKILL')));
  await stack?.stop();
  s3?.destroy();
});

async function server(env: Record<string, string> = {}): Promise<ServerProcess> {
  const s = await startServer(sharedStackEnv(stack!, { ...NO_SWEEP, ...env }));
  started.push(s);
  return s;
}

/** The stored request record of `requestId` (parsed JSON), or undefined. */
async function requestRecord(requestId: string): Promise<{ txid: string; result?: unknown } | undefined> {
  const hash = createHash('sha256').update(requestId, 'utf8').digest('hex');
  const page = await s3.send(new ListObjectsV2Command({ Bucket: stack!.s3.bucket, Prefix: '_txn/requests/' }));
  const key = (page.Contents ?? []).map((o) => o.Key!).find((k) => k.endsWith(`/${hash}`));
  if (key === undefined) return undefined;
  const obj = await s3.send(new GetObjectCommand({ Bucket: stack!.s3.bucket, Key: key }));
  return JSON.parse(await obj.Body!.transformToString('utf8')) as { txid: string; result?: unknown };
}

/** Seeds X and Y (to be set) and Z (to be deleted) in `prefix`_* collections; returns the Commit's writes. */
async function seed(prefix: string): Promise<TxnWriteInit[]> {
  const x = (await reader.docs.put({ collection: `${prefix}_a`, id: 'X', data: { v: 'old' } })).document!;
  await reader.docs.put({ collection: `${prefix}_b`, id: 'Y', data: { v: 'old' } });
  await reader.docs.put({ collection: `${prefix}_b`, id: 'Z', data: { v: 'old' } });
  return [
    setWrite(`${prefix}_a`, 'X', { v: 'new' }, { etag: x.etag }),
    setWrite(`${prefix}_b`, 'Y', { v: 'new' }),
    deleteWrite(`${prefix}_b`, 'Z', { exists: true }),
    setWrite(`${prefix}_b`, 'N', { v: 'new' }, { exists: false }),
  ];
}

/** Commits `writes` on a server paused at txn.after-response, then SIGKILLs it: the answer, and what it left. */
async function commitThenKill(writes: TxnWriteInit[], requestId: string, prefix: string) {
  const doomed = await server({ SB_FAILPOINTS: 'txn.after-response=pause' });
  const answer = await serverClients(doomed.grpcUrl).docs.commit({ writes, requestId });
  expect(await doomed.stop('SIGKILL')).toBeNull(); // killed by the signal, not exited
  const debris = await bucketDebris(s3, stack!.s3.bucket, `docs/${prefix}_`);
  const record = await requestRecord(requestId);
  return { answer, debris, record };
}

/** What every server must show after the transaction: its writes, with the answered etags and versions. */
async function expectCommitted(c: ServerClients, prefix: string, answer: CommitResponse): Promise<void> {
  const [x, y, z, n] = answer.results;
  const got = async (collection: string, id: string) => {
    const d = (await c.docs.get({ collection, id }).catch(() => undefined))?.document;
    return d === undefined ? undefined : { data: d.data, etag: d.etag, version: d.version };
  };
  expect({
    x: await got(`${prefix}_a`, 'X'),
    y: await got(`${prefix}_b`, 'Y'),
    z: await got(`${prefix}_b`, 'Z'),
    n: await got(`${prefix}_b`, 'N'),
  }).toEqual({
    x: { data: { v: 'new' }, etag: x!.etag, version: 2n },
    y: { data: { v: 'new' }, etag: y!.etag, version: 2n },
    z: undefined,
    n: { data: { v: 'new' }, etag: n!.etag, version: 1n },
  });
  expect([z!.etag, z!.version]).toEqual(['', 0n]);
  const batch: string[] = [];
  for await (const r of c.docs.batchGet({ collection: `${prefix}_b`, ids: ['Y', 'Z', 'N'] })) batch.push(r.found ? r.document!.etag : '-');
  expect(batch).toEqual([y!.etag, '-', n!.etag]);
}

it('killed after the answer, before the cleanup: readers see the commit; a restarted server recovers it; a retry answers the same', async () => {
  const writes = await seed('ccs');
  const { answer, debris, record } = await commitThenKill(writes, 'cleanup-crash-sweep', 'ccs');
  // The cleanup never ran: the intent is committed, the record has no result; no document is marked.
  expect({ states: debris.intentStates, marked: debris.markedDocs, txid: record?.txid, result: record?.result }).toEqual({
    states: ['committed'],
    marked: [],
    txid: answer.transactionId,
    result: undefined,
  });
  await expectCommitted(reader, 'ccs', answer);

  // A restarted server sweeps at start-up (before it listens): the intent is gone, the record completed.
  const restarted = serverClients((await server()).grpcUrl);
  expect((await bucketDebris(s3, stack!.s3.bucket, 'docs/ccs_')).intents).toEqual([]);
  expect((await requestRecord('cleanup-crash-sweep'))?.result).toBeDefined();
  await expectCommitted(restarted, 'ccs', answer);
  // The retry answers the first answer and writes nothing again (versions unchanged).
  expect(await restarted.docs.commit({ writes, requestId: 'cleanup-crash-sweep' })).toEqual(answer);
  expect(await reader.docs.commit({ writes, requestId: 'cleanup-crash-sweep' })).toEqual(answer);
  await expectCommitted(reader, 'ccs', answer);
});

it('killed after the answer, before the cleanup: a retry with the request_id recovers it and answers the same', async () => {
  const writes = await seed('ccr');
  const { answer, debris } = await commitThenKill(writes, 'cleanup-crash-retry', 'ccr');
  expect(debris.intentStates).toEqual(['committed']);
  await expectCommitted(reader, 'ccr', answer);
  // No sweep runs (start-up sweeps are over, the interval is an hour): the retry itself finishes it.
  expect(await reader.docs.commit({ writes, requestId: 'cleanup-crash-retry' })).toEqual(answer);
  expect((await bucketDebris(s3, stack!.s3.bucket, 'docs/ccr_')).intents).toEqual([]);
  expect((await requestRecord('cleanup-crash-retry'))?.result).toBeDefined();
  await expectCommitted(reader, 'ccr', answer);
  expect(await reader.docs.commit({ writes, requestId: 'cleanup-crash-retry' })).toEqual(answer);
});

it('a graceful stop waits for a held cleanup only up to SB_TXN_CLEANUP_DRAIN_MS, then leaves it to recovery', async () => {
  const writes = await seed('ccg');
  const s = await server({ SB_FAILPOINTS: 'txn.after-response=pause', SB_TXN_CLEANUP_DRAIN_MS: '300' });
  const answer = await serverClients(s.grpcUrl).docs.commit({ writes, requestId: 'cleanup-graceful' });
  expect(await s.stop('SIGTERM')).toBe(0);
  expect(s.output()).toMatch(/"finished":0,"abandoned":1,"msg":"transaction cleanups left to recovery"/);
  expect((await bucketDebris(s3, stack!.s3.bucket, 'docs/ccg_')).intentStates).toEqual(['committed']);
  await expectCommitted(reader, 'ccg', answer);
  expect(await reader.docs.commit({ writes, requestId: 'cleanup-graceful' })).toEqual(answer);
  expect((await bucketDebris(s3, stack!.s3.bucket, 'docs/ccg_')).intents).toEqual([]);
});
