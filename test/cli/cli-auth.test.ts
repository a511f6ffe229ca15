/**
 * The access commands of the smarterbase CLI on a server with SB_AUTH=on
 * (docs/security.md): with the bootstrap admin key, role put / get / list,
 * principal set / get / list and key create / list; the new key is then used
 * with --api-key (and SMARTERBASE_API_KEY), is refused where its role does not
 * reach, and stops working once revoked with key revoke. Without a key the
 * CLI prints the UNAUTHENTICATED line.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { cliOk, runCli } from './cli-run.js';

jest.setTimeout(300_000);

const BOOTSTRAP = `sbk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
/** The servers' staleness bound of keys and roles (short, so a revocation shows soon; the wait below is a hang guard). */
const CACHE_MS = 500;

let dir: string;
let server: ServerProcess;
let a: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-cli-auth-'));
  const keyFile = join(dir, 'bootstrap.key');
  writeFileSync(keyFile, `${BOOTSTRAP}\n`, { mode: 0o600 });
  server = await startServer({
    SB_STORAGE: 'filesystem',
    SB_DATA_DIR: join(dir, 'data'),
    SB_COORDINATION: 'local',
    SB_AUTH: 'on',
    SB_AUTH_CACHE_MS: String(CACHE_MS),
    SB_AUTH_BOOTSTRAP_KEY_FILE: keyFile,
  });
  a = ['--addr', `127.0.0.1:${server.grpcPort}`];
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('without a key: the UNAUTHENTICATED line and exit code 1; health needs none', async () => {
  const r = await runCli([...a, 'get', 'orders', 'o1']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(
    /^error: UNAUTHENTICATED[^\n]*: the server needs credentials: pass --api-key \(or SMARTERBASE_API_KEY\)[^\n]*\n$/,
  );
  expect(await cliOk([...a, 'health'])).toContain('SERVING');
});

it('creates a role, a principal and a key with the CLI, and uses the key with --api-key', async () => {
  const admin = [...a, '--api-key', BOOTSTRAP];
  const role = JSON.parse(
    await cliOk([
      ...admin,
      'role',
      'put',
      'orders-rw',
      '--allow',
      'read,write:collections=orders*',
      '--description',
      'orders app',
      '--json',
    ]),
  ) as { name: string; permissions: { verbs: string[]; collections: string[] }[] };
  expect(role).toMatchObject({ name: 'orders-rw', permissions: [{ verbs: ['VERB_READ', 'VERB_WRITE'], collections: ['orders*'] }] });
  expect(JSON.parse(await cliOk([...admin, 'role', 'get', 'orders-rw', '--json']))).toMatchObject({ description: 'orders app' });
  const roles = JSON.parse(await cliOk([...admin, 'role', 'list', '--json'])) as { name: string }[];
  expect(roles.map((r) => r.name)).toEqual(expect.arrayContaining(['admin', 'orders-rw']));

  expect(JSON.parse(await cliOk([...admin, 'principal', 'set', 'shop', '--role', 'orders-rw', '--json']))).toMatchObject({
    name: 'shop',
    roles: ['orders-rw'],
  });
  expect(JSON.parse(await cliOk([...admin, 'principal', 'get', 'shop', '--json']))).toMatchObject({ roles: ['orders-rw'] });
  const principals = JSON.parse(await cliOk([...admin, 'principal', 'list', '--json'])) as { name: string }[];
  expect(principals.map((p) => p.name)).toContain('shop');

  const created = JSON.parse(await cliOk([...admin, 'key', 'create', 'shop', '--json'])) as {
    secret: string;
    key: { keyId: string; principal: string };
  };
  expect(created.secret).toMatch(/^sbk_[0-9a-f]{16}_/);
  expect(created.key.principal).toBe('shop');
  // Human mode prints only the key string on stdout (for KEY=$(smarterbase key create …)).
  const human = await runCli([...admin, 'key', 'create', 'shop']);
  expect(human.stdout).toMatch(/^sbk_[0-9a-f]{16}_\S+\n$/);
  const keys = JSON.parse(await cliOk([...admin, 'key', 'list', '--principal', 'shop', '--json'])) as { keyId: string }[];
  expect(keys.map((k) => k.keyId)).toContain(created.key.keyId);

  const shop = [...a, '--api-key', created.secret];
  await cliOk([...shop, 'put', 'orders', 'o1', '-d', '{"total":12}']);
  expect(JSON.parse(await cliOk([...shop, 'get', 'orders', 'o1', '--data-only']))).toEqual({ total: 12 });
  expect(
    JSON.parse(await cliOk(['get', 'orders', 'o1', '--data-only', '--addr', a[1]], { env: { SMARTERBASE_API_KEY: created.secret } })),
  ).toEqual({ total: 12 });
  const denied = await runCli([...shop, 'put', 'invoices', 'i1', '-d', '{}']);
  expect(denied.code).toBe(1);
  expect(denied.stderr).toMatch(/^error: PERMISSION_DENIED[^\n]*: the key's roles do not allow this call/);

  expect(JSON.parse(await cliOk([...admin, 'key', 'revoke', created.key.keyId, '--json']))).toMatchObject({
    keyId: created.key.keyId,
    revoked: true,
  });
  // Refused within the staleness bound; poll as a hang guard, not a timing claim.
  const deadline = Date.now() + 60_000;
  let after = await runCli([...shop, 'get', 'orders', 'o1']);
  while (after.code === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    after = await runCli([...shop, 'get', 'orders', 'o1']);
  }
  expect(after.code).toBe(1);
  expect(after.stderr).toMatch(/^error: UNAUTHENTICATED/);

  expect(JSON.parse(await cliOk([...admin, 'role', 'delete', 'orders-rw', '--json']))).toEqual({ deleted: true });
});
