/**
 * The lint config is the dependency rule (eslint.config.mjs): these cases
 * prove each part of it fails on the violation it exists for — a back-edge
 * between folders, an import cycle, a driver or the wall clock in the core —
 * by linting source text in place of an existing file of server/src (the
 * typed rules need a file the TypeScript project knows).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** Lints source texts as files of the repo in one ESLint process (the config is ESM, which jest cannot load); rule ids per case. */
function lintCases(cases: readonly { path: string; code: string }[]): string[][] {
  const script = `
    import { ESLint } from 'eslint';
    const cases = JSON.parse(process.argv[1]);
    const eslint = new ESLint({ cwd: process.cwd() });
    const out = [];
    for (const c of cases) {
      const [r] = await eslint.lintText(c.code, { filePath: c.path });
      out.push(r.messages.map((m) => m.ruleId ?? 'fatal: ' + m.message));
    }
    process.stdout.write(JSON.stringify(out));`;
  const json = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify(cases.map((c) => ({ ...c, path: join(root, c.path) })))],
    { cwd: root, encoding: 'utf8' },
  );
  return JSON.parse(json) as string[][];
}

const CASES = {
  backEdge: {
    path: 'server/src/model/keys.ts',
    code: "import { DocumentEngine } from '../engine/document-engine.js';\nexport const e = DocumentEngine;\n",
  },
  peerEdge: {
    path: 'server/src/txn/commit-plan.ts',
    code: "import { QueryEngine } from '../query/query-engine.js';\nexport const q = QueryEngine;\n",
  },
  allowedPeer: {
    path: 'server/src/query/planner.ts',
    code: "import { canonicalJson } from '../index/extract-values.js';\nexport const x = canonicalJson;\n",
  },
  generated: {
    path: 'server/src/engine/document-engine.ts',
    code: "import { DocumentService } from '../gen/smarterbase/v1/document_service_pb.js';\nexport const d = DocumentService;\n",
  },
  // common/abort.ts imports errors/db-error.ts; a db-error that imported abort would close a cycle.
  cycle: { path: 'server/src/errors/db-error.ts', code: "import { sleep } from '../common/abort.js';\nexport const b = sleep;\n" },
  driver: { path: 'server/src/engine/document-engine.ts', code: "import Redis from 'ioredis';\nexport const r = Redis;\n" },
  storageDriver: {
    path: 'server/src/storage/instrumented-store.ts',
    code: "import { S3Client } from '@aws-sdk/client-s3';\nexport const s = S3Client;\n",
  },
  wallClock: { path: 'server/src/txn/commit-plan.ts', code: 'export const t = Date.now() + Math.random();\n' },
  newDate: { path: 'server/src/index/index-admin.ts', code: 'export const d = new Date();\n' },
  rpcBasicsUp: {
    path: 'server/src/rpc/limits.ts',
    code: "import { registerServices } from './services/index.js';\nexport const r = registerServices;\n",
  },
  serviceToService: {
    path: 'server/src/rpc/services/documents/document-handlers.ts',
    code: "import { createLockHandlers } from '../locks/lock-handlers.js';\nexport const l = createLockHandlers;\n",
  },
  clean: {
    path: 'server/src/engine/document-engine.ts',
    code: "import { DbError } from '../errors/db-error.js';\nexport const e = new DbError('invalid', 'INVALID_ARGUMENT', 'x');\n",
  },
} as const;

let found: Record<keyof typeof CASES, string[]>;
beforeAll(() => {
  const keys = Object.keys(CASES) as (keyof typeof CASES)[];
  const results = lintCases(keys.map((k) => CASES[k]));
  found = Object.fromEntries(keys.map((k, i) => [k, results[i]!])) as Record<keyof typeof CASES, string[]>;
}, 120_000);

describe('eslint.config.mjs', () => {
  test('a folder importing a folder above it fails (model/ → engine/)', () => {
    expect(found.backEdge).toContain('import-x/no-restricted-paths');
  });

  test('parts of one row may not import each other (txn/ → query/), except query/ → index/', () => {
    expect(found.peerEdge).toContain('import-x/no-restricted-paths');
    expect(found.allowedPeer).toEqual([]);
  });

  test('only rpc/ imports generated code', () => {
    expect(found.generated).toContain('import-x/no-restricted-paths');
  });

  test('an import cycle fails, even one the layers allow in one direction (errors/ ⇄ common/)', () => {
    expect(found.cycle).toContain('import-x/no-cycle');
  });

  test('no folder below rpc/ but the driver adapters imports a driver; the core uses no wall clock and no Math.random', () => {
    expect(found.driver).toContain('no-restricted-imports');
    expect(found.storageDriver).toContain('no-restricted-imports');
    expect(found.wallClock).toEqual(['no-restricted-properties', 'no-restricted-properties']);
    expect(found.newDate).toEqual(['no-restricted-syntax']);
  });

  test('inside rpc/: the basics never import services/, and no service folder imports another', () => {
    expect(found.rpcBasicsUp).toContain('import-x/no-restricted-paths');
    expect(found.serviceToService).toContain('import-x/no-restricted-paths');
  });

  test('a clean file of the same folders passes', () => {
    expect(found.clean).toEqual([]);
  });
});
