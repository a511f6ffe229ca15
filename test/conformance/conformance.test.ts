/**
 * The TypeScript runner of the client conformance scenarios
 * (test/conformance/scenarios.json, shared with the Go and Python runners):
 * every scenario runs against a live server over each transport, in a fresh
 * collection, and each step's result or error is checked against the file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  codeName,
  hasCode,
  isAlreadyExists,
  isEtagMismatch,
  isLockHeld,
  isLockNotHeld,
  isNotFound,
  isPreconditionFailed,
  isTransactionContention,
  isUnavailable,
  SmarterBaseError,
  type JsonObject,
  type LockLease,
  type SmarterBaseClient,
  type WriteCondition,
} from '../../clients/ts/src/index.js';
import { liveClients, LIVE_TRANSPORTS, uniqueCollection, useLiveServer } from '../../clients/ts/test/server-fixture.js';

/** One step of a scenario (see the "calls" section of scenarios.json). */
interface Step {
  readonly call: string;
  readonly args: Record<string, unknown>;
  readonly expect?: Record<string, unknown>;
  readonly save?: Record<string, string>;
  readonly error?: {
    readonly code: string;
    readonly reason: string;
    readonly metadata?: Record<string, string>;
    readonly preconditionFailures?: { type: string; subject: string }[];
    readonly predicates?: Record<string, boolean>;
  };
}

/** A named list of steps. */
interface Scenario {
  readonly name: string;
  readonly steps: Step[];
}

const file = JSON.parse(readFileSync(join(__dirname, 'scenarios.json'), 'utf8')) as { scenarios: Scenario[]; predicates: string[] };

/** The predicate names of the file, mapped to this client's functions. */
const PREDICATES: Record<string, (err: unknown) => boolean> = {
  notFound: isNotFound,
  alreadyExists: isAlreadyExists,
  etagMismatch: isEtagMismatch,
  lockHeld: isLockHeld,
  lockNotHeld: isLockNotHeld,
  preconditionFailed: isPreconditionFailed,
  transactionContention: isTransactionContention,
  unavailable: isUnavailable,
};

/** Replaces "$name" strings (deeply) with saved variables. */
function resolve(value: unknown, vars: Map<string, unknown>): unknown {
  if (typeof value === 'string' && value.startsWith('$')) {
    if (!vars.has(value.slice(1))) throw new Error(`variable ${value} is not set`);
    return vars.get(value.slice(1));
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, vars));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, vars)]));
  return value;
}

function condition(w: Record<string, unknown>): WriteCondition | undefined {
  if (typeof w.ifEtag === 'string') return { ifEtag: w.ifEtag };
  if (w.ifExists === true) return { ifExists: true };
  if (w.ifNotExists === true) return { ifNotExists: true };
  return undefined;
}

/** Runs one call and returns its result in the file's normalized shape. */
async function run(
  db: SmarterBaseClient,
  col: string,
  a: Record<string, unknown>,
  call: string,
  leases: Map<string, LockLease>,
): Promise<Record<string, unknown>> {
  const doc = (d: { id: string; data: JsonObject; etag: string; version: number | bigint }) => ({
    id: d.id,
    data: d.data,
    etag: d.etag,
    version: Number(d.version),
  });
  const id = a.id as string;
  switch (call) {
    case 'put':
      return doc(await db.put(col, id, a.data as JsonObject, { createOnly: a.createOnly === true }));
    case 'putIfMatch':
      return doc(await db.putIfMatch(col, id, a.data as JsonObject, a.etag as string));
    case 'get':
      return doc(await db.get(col, id));
    case 'delete':
      return { deleted: await db.delete(col, id) };
    case 'list': {
      const page = await db.list(col, { pageSize: a.pageSize as number, pageToken: (a.pageToken as string | undefined) ?? '' });
      return { ids: page.documents.map((d) => d.id), nextPageToken: page.nextPageToken, more: page.nextPageToken !== '' };
    }
    case 'query': {
      const stream = db.query(col, { orderBy: a.orderBy as string[] | undefined, startAfter: a.startAfter as string | undefined });
      const ids: string[] = [];
      for await (const d of stream) {
        ids.push(d.id);
        if (ids.length === a.stopAfter) break;
      }
      return { ids, resumeToken: stream.resumeToken };
    }
    case 'acquire': {
      const lease = await db.acquire(`${col}_${a.lock as string}`, { ttlMs: a.ttlMs as number });
      leases.set(a.as as string, lease);
      return { fencingToken: Number(lease.fencingToken) };
    }
    case 'release':
      return { released: await db.release(leases.get(a.lease as string)!) };
    case 'commit': {
      const tx = db.transaction();
      for (const w of a.writes as Record<string, unknown>[]) {
        const cond = condition(w);
        if (w.op === 'set') tx.set(col, w.id as string, w.data as JsonObject, cond);
        else if (w.op === 'delete') tx.delete(col, w.id as string, cond);
        else tx.check(col, w.id as string, cond!);
      }
      const res = await tx.commit();
      return { versions: res.results.map((r) => Number(r.version)) };
    }
    case 'getIndex':
      return { name: (await db.getIndex(col, a.name as string)).name };
    default:
      throw new Error(`unknown call ${call}`);
  }
}

function checkError(err: unknown, want: NonNullable<Step['error']>, where: string): void {
  if (!(err instanceof SmarterBaseError)) throw new Error(`${where}: expected a SmarterBaseError, got ${String(err)}`);
  expect({ where, code: codeName(err.code), reason: err.reason }).toEqual({ where, code: want.code, reason: want.reason });
  expect(err.message.startsWith(`${want.code} ${want.reason}: `)).toBe(true);
  expect(hasCode(err, err.code)).toBe(true);
  if (want.metadata) expect(err.metadata).toMatchObject(want.metadata);
  if (want.preconditionFailures)
    expect(err.preconditionFailures.map((v) => ({ type: v.type, subject: v.subject }))).toEqual(want.preconditionFailures);
  for (const [name, value] of Object.entries(want.predicates ?? {})) {
    const predicate = PREDICATES[name];
    if (!predicate) throw new Error(`${where}: unknown predicate ${name}`);
    expect({ where, predicate: name, value: predicate(err) }).toEqual({ where, predicate: name, value });
  }
}

const liveServer = useLiveServer();

describe.each(LIVE_TRANSPORTS)('conformance scenarios over %s', (transport) => {
  const connect = liveClients(liveServer, transport, 10_000);

  it('maps every predicate of the file', () => {
    expect(Object.keys(PREDICATES).sort()).toEqual([...file.predicates].sort());
  });

  it.each(file.scenarios.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const db = connect();
    const col = uniqueCollection(`conf_ts_${transport}`);
    const vars = new Map<string, unknown>();
    const leases = new Map<string, LockLease>();
    for (const [i, step] of scenario.steps.entries()) {
      const where = `${scenario.name} step ${i} (${step.call})`;
      const args = resolve(step.args, vars) as Record<string, unknown>;
      let result: Record<string, unknown>;
      try {
        result = await run(db, col, args, step.call, leases);
      } catch (err) {
        if (!step.error) throw err;
        checkError(err, resolve(step.error, vars) as NonNullable<Step['error']>, where);
        continue;
      }
      if (step.error) throw new Error(`${where}: expected ${step.error.reason}, got ${JSON.stringify(result)}`);
      if (step.expect) expect({ where, ...result }).toMatchObject({ where, ...(resolve(step.expect, vars) as object) });
      for (const [name, field] of Object.entries(step.save ?? {})) vars.set(name, result[field]);
    }
  });
});
