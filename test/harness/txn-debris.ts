/**
 * What transactions leave behind in storage, read straight from the store
 * (not through a server): intent records under `_txn/intents/` and documents
 * under `docs/` whose envelope header still carries a transaction marker
 * (`"txn"`), in a filesystem data directory or an S3 bucket.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { filesUnder } from './files-containing.js';

/** Leftovers of transactions, as storage keys. */
export interface TxnDebris {
  /** Keys under `_txn/intents/`. */
  readonly intents: string[];
  /** The `state` of each of those intents, in the same order ('?' when unreadable). */
  readonly intentStates: string[];
  /** Keys under `docs/` whose stored JSON has a `smarterbase.txn` marker. */
  readonly markedDocs: string[];
}

/** True when a stored document body carries a transaction marker (or is not a valid envelope). */
function isMarked(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { smarterbase?: { txn?: unknown; absent?: unknown } };
    return parsed.smarterbase?.txn !== undefined || parsed.smarterbase?.absent !== undefined;
  } catch {
    return true; // a torn document is debris too
  }
}

function stateOf(body: string): string {
  try {
    const state = (JSON.parse(body) as { state?: unknown }).state;
    return typeof state === 'string' ? state : '?';
  } catch {
    return '?';
  }
}

/** The debris in a filesystem data directory (keys are paths relative to it, with '/'). */
export async function dataDirDebris(dataDir: string): Promise<TxnDebris> {
  const key = (path: string): string => relative(dataDir, path).split(sep).join('/');
  const intentPaths = (await filesUnder(join(dataDir, '_txn', 'intents'))).sort();
  const intentStates = await Promise.all(intentPaths.map(async (p) => stateOf(await readFile(p, 'utf8').catch(() => ''))));
  const markedDocs: string[] = [];
  for (const path of await filesUnder(join(dataDir, 'docs'))) {
    const body = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    if (body !== undefined && isMarked(body)) markedDocs.push(key(path));
  }
  return { intents: intentPaths.map(key), intentStates, markedDocs: markedDocs.sort() };
}

/** An S3 client for the test S3 server at `endpoint` (path-style, dummy credentials). */
export function testS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** The debris in an S3 bucket; `docPrefix` narrows the documents scanned (default all of `docs/`). */
export async function bucketDebris(s3: S3Client, bucket: string, docPrefix = 'docs/'): Promise<TxnDebris> {
  const read = async (key: string): Promise<string | undefined> => {
    try {
      const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await obj.Body!.transformToString('utf8');
    } catch (e) {
      if ((e as { name?: string }).name === 'NoSuchKey') return undefined; // deleted since the listing
      throw e;
    }
  };
  const intents = (await keysUnder(s3, bucket, '_txn/intents/')).sort();
  const intentStates = await Promise.all(intents.map(async (k) => stateOf((await read(k)) ?? '')));
  const markedDocs: string[] = [];
  for (const key of await keysUnder(s3, bucket, docPrefix)) {
    const body = await read(key);
    if (body !== undefined && isMarked(body)) markedDocs.push(key);
  }
  return { intents, intentStates, markedDocs: markedDocs.sort() };
}
