/**
 * The CLI scenarios shared by the embedded and the S3 + Redis suites: each
 * runs the built CLI as a child process against the server at `addr` and
 * checks what it printed and its exit code (the server's state is checked
 * through the TS client).
 */
import { createClient, del, put, type JsonObject } from '../../clients/ts/src/index.js';
import { cliOk, jsonLines, runCli } from './cli-run.js';

/** Global flags pointing the CLI at the server. */
export function at(addr: string): string[] {
  return ['--addr', addr];
}

/** put (stdin, --data, --create-only, --if-match), get, delete and list (paged, --all) of one collection. */
export async function documentsScenario(addr: string, c: string): Promise<void> {
  const a = at(addr);
  const ada = JSON.parse(await cliOk([...a, 'put', c, 'ada', '--json'], { input: '{"name":"Ada","age":36}' })) as {
    etag: string;
    version: number;
  };
  expect(ada.version).toBe(1);
  await cliOk([...a, 'put', c, 'bob', '-d', '{"name":"Bob","age":20}']);
  await cliOk([...a, 'put', c, 'cy', '-d', '{"name":"Cy","age":50}']);
  const got = JSON.parse(await cliOk([...a, 'get', c, 'ada', '--json'])) as { data: JsonObject; etag: string };
  expect(got).toMatchObject({ id: 'ada', data: { name: 'Ada', age: 36 }, etag: ada.etag });
  expect(JSON.parse(await cliOk([...a, 'get', c, 'ada', '--data-only']))).toEqual({ name: 'Ada', age: 36 });

  const taken = await runCli([...a, 'put', c, 'ada', '--create-only', '-d', '{}']);
  expect(taken.code).toBe(1);
  expect(taken.stderr).toMatch(/^error: ALREADY_EXISTS DOCUMENT_ALREADY_EXISTS: .+\n$/);

  const cas = JSON.parse(await cliOk([...a, 'put', c, 'ada', '--if-match', ada.etag, '-d', '{"name":"Ada L.","age":37}', '--json'])) as {
    version: number;
  };
  expect(cas.version).toBe(2);
  const stale = await runCli([...a, 'put', c, 'ada', '--if-match', ada.etag, '-d', '{}']);
  expect(stale.code).toBe(1);
  expect(stale.stderr).toMatch(/^error: \w+ ETAG_MISMATCH: .*current etag [0-9a-f]+\)?\n$/);

  const page = jsonLines(await cliOk([...a, 'list', c, '--page-size', '2', '-o', 'jsonl']));
  expect(page.map((d) => (d as { id: string }).id)).toEqual(['ada', 'bob']);
  const all = jsonLines(await cliOk([...a, 'list', c, '--page-size', '2', '--all', '-o', 'jsonl']));
  expect(all.map((d) => (d as { id: string }).id)).toEqual(['ada', 'bob', 'cy']);
  const table = await cliOk([...a, 'list', c]);
  expect(table).toMatch(/id .*version .*data\.name .*data\.age/);
  expect(table).toMatch(/bob .*Bob .*20/);

  expect(JSON.parse(await cliOk([...a, 'delete', c, 'bob', '--json']))).toMatchObject({ deleted: true });
  expect(JSON.parse(await cliOk([...a, 'delete', c, 'bob', '--json']))).toMatchObject({ deleted: false });
  const gone = await runCli([...a, 'get', c, 'bob']);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/^error: NOT_FOUND DOCUMENT_NOT_FOUND: /);
}

/** query (filter, order, limit; jsonl / json / table), count, explain, and the one-line INVALID_ARGUMENT of a bad filter. */
export async function queryScenario(addr: string, c: string): Promise<void> {
  const a = at(addr);
  const db = createClient({ address: addr });
  try {
    await db.batchWrite(
      c,
      Array.from({ length: 20 }, (_, i) => put(`p${String(i).padStart(2, '0')}`, { n: i, even: i % 2 === 0 })),
    );
  } finally {
    db.close();
  }
  const rows = jsonLines(await cliOk([...a, 'query', c, '-w', 'n >= 10 AND even = true', '--order', '-n', '--limit', '3', '-o', 'jsonl']));
  expect(rows.map((d) => (d as { data: { n: number } }).data.n)).toEqual([18, 16, 14]);
  const arr = JSON.parse(await cliOk([...a, 'query', c, '-w', 'n < 2', '-o', 'json'])) as { id: string }[];
  expect(arr.map((d) => d.id)).toEqual(['p00', 'p01']);
  expect(await cliOk([...a, 'query', c, '-w', 'n = 7'])).toMatch(/p07 .*7 .*false/);
  expect((await cliOk([...a, 'count', c, '-w', 'even = true'])).trim()).toBe('10');
  const plan = JSON.parse(await cliOk([...a, 'explain', c, '-w', 'n > 3', '--json'])) as { scan: boolean; residualFilter: string };
  expect(plan.scan).toBe(true);
  expect(plan.residualFilter).toContain('n > 3');

  const bad = await runCli([...a, 'query', c, '-w', 'n >>= 1']);
  expect(bad.code).toBe(1);
  expect(bad.stdout).toBe('');
  expect(bad.stderr).toMatch(/^error: INVALID_ARGUMENT INVALID_FILTER: invalid filter expression at position \d+: [^\n]+\n$/);
  const badJson = await runCli([...a, 'query', c, '-w', 'n >>= 1', '--json']);
  expect(badJson.code).toBe(1);
  expect(JSON.parse(badJson.stderr)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', reason: 'INVALID_FILTER' } });
}

/** index create (waits until ready), list, get, drop, and INDEX_NOT_FOUND afterwards. */
export async function indexScenario(addr: string, c: string): Promise<void> {
  const a = at(addr);
  const created = JSON.parse(await cliOk([...a, 'index', 'create', c, 'by_n', 'n', '--kind', 'ordered', '--json'])) as { state: string };
  expect(created.state).toBe('ready');
  expect(await cliOk([...a, 'index', 'list', c])).toMatch(/by_n .*ordered .*\["n"\] .*ready/);
  expect(JSON.parse(await cliOk([...a, 'index', 'get', c, 'by_n', '--json']))).toMatchObject({
    name: 'by_n',
    kind: 'ordered',
    fields: ['n'],
  });
  const plan = JSON.parse(await cliOk([...a, 'explain', c, '-w', 'n > 3', '--json'])) as { indexesUsed: string[] };
  expect(plan.indexesUsed).toEqual(['by_n']);
  await cliOk([...a, 'index', 'drop', c, 'by_n']);
  const gone = await runCli([...a, 'index', 'get', c, 'by_n']);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/^error: NOT_FOUND INDEX_NOT_FOUND: .*smarterbase index list/);
}

/** lock get / list of a lock the TS client holds, then release with its lease id. */
export async function lockScenario(addr: string, name: string): Promise<void> {
  const a = at(addr);
  const db = createClient({ address: addr });
  try {
    const lease = await db.acquire(name, { ttlMs: 60_000, holder: 'cli-test' });
    expect(JSON.parse(await cliOk([...a, 'lock', 'get', name, '--json']))).toMatchObject({ name, held: true, holder: 'cli-test' });
    const list = JSON.parse(await cliOk([...a, 'lock', 'list', name, `${name}-free`, '--json'])) as { name: string; held: boolean }[];
    expect(list.map((l) => [l.name, l.held])).toEqual([
      [name, true],
      [`${name}-free`, false],
    ]);
    expect(JSON.parse(await cliOk([...a, 'lock', 'release', name, '--lease-id', lease.leaseId, '--json']))).toEqual({
      name,
      released: true,
    });
    expect(JSON.parse(await cliOk([...a, 'lock', 'get', name, '--json']))).toMatchObject({ held: false });
  } finally {
    db.close();
  }
}

/** watch --after a revision: the changes after it as JSONL, in order, then exit at --max-changes. */
export async function watchScenario(addr: string, c: string): Promise<void> {
  const a = at(addr);
  const first = JSON.parse(await cliOk([...a, 'put', c, 'w1', '-d', '{"v":1}', '--json'])) as { revision: string };
  await cliOk([...a, 'put', c, 'w2', '-d', '{"v":2}']);
  await cliOk([...a, 'delete', c, 'w1']);
  const out = jsonLines(await cliOk([...a, 'watch', c, '--after', first.revision, '--max-changes', '2'], { timeoutMs: 120_000 }));
  expect(out.map((r) => [(r as { type: string }).type, (r as { id: string }).id])).toEqual([
    ['put', 'w2'],
    ['delete', 'w1'],
  ]);
  expect(out[0]).toMatchObject({ document: { data: { v: 2 } } });
}

/**
 * export → delete every document → import reproduces the same documents
 * (etags aside) for `count` documents; a second import with --resume writes
 * nothing (every document is skipped as identical, versions unchanged).
 */
export async function exportImportScenario(addr: string, c: string, count: number): Promise<void> {
  const a = at(addr);
  const db = createClient({ address: addr });
  try {
    const ids = Array.from({ length: count }, (_, i) => `doc-${String(i).padStart(6, '0')}`);
    for (let i = 0; i < count; i += 500) {
      const items = ids
        .slice(i, i + 500)
        .map((id, j) => put(id, { i: i + j, name: `n${i + j}`, tags: ['a', i + j], nested: { x: null, y: 1.5 } }));
      const res = await db.batchWrite(c, items);
      expect(res.every((r) => r.ok)).toBe(true);
    }
    const exported = await runCli([...a, 'export', c], { timeoutMs: 600_000 });
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(new RegExp(`^exported ${count} documents, [\\d.]+ \\w+ in [\\d.]+ s: \\d+ documents/s`, 'm'));
    const before = jsonLines(exported.stdout);
    expect(before).toHaveLength(count);

    for (let i = 0; i < count; i += 500)
      await db.batchDelete(
        c,
        ids.slice(i, i + 500).map((id) => del(id)),
      );
    expect((await db.count(c)).count).toBe(0);

    const imported = await runCli([...a, 'import', c], { input: exported.stdout, timeoutMs: 600_000 });
    expect(imported.stderr).toMatch(new RegExp(`^imported ${count} documents, `, 'm'));
    expect(imported.code).toBe(0);
    const after = await runCli([...a, 'export', c], { timeoutMs: 600_000 });
    expect(after.stdout).toBe(exported.stdout);

    const resumed = await runCli([...a, 'import', c, '--resume'], { input: exported.stdout, timeoutMs: 600_000 });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`^imported 0 documents \\(${count} skipped as identical\\)`, 'm'));
    expect((await db.get(c, ids[count - 1])).version).toBe(1);

    // An interrupted or diverged copy: one document changed, one missing; --resume writes exactly those two back.
    await db.put(c, ids[0], { changed: true });
    await db.delete(c, ids[1]);
    const repaired = await runCli([...a, 'import', c, '--resume'], { input: exported.stdout, timeoutMs: 600_000 });
    expect(repaired.stderr).toMatch(new RegExp(`^imported 2 documents \\(${count - 2} skipped as identical\\)`, 'm'));
    expect((await db.get(c, ids[0])).data).toEqual((before[0] as { data: JsonObject }).data);
    expect((await db.get(c, ids[1])).data).toEqual((before[1] as { data: JsonObject }).data);
  } finally {
    db.close();
  }
}
