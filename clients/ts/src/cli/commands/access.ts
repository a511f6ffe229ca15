/**
 * Access commands (AccessService, docs/security.md): `key create|list|revoke`,
 * `role put|get|list|delete`, `principal set|get|list`. Answers print as the
 * proto JSON of the messages (verbs as "VERB_READ", times as RFC 3339).
 */
import type { Command } from 'commander';
import { createClient as createConnectClient, type Client } from '@connectrpc/connect';
import { fromJson, toJson, type DescMessage, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { toSmarterBaseError } from '../../errors.js';
import { ApiKeySchema, PrincipalSchema, RoleSchema } from '../../gen/smarterbase/v1/access_pb.js';
import { AccessService } from '../../gen/smarterbase/v1/access_service_pb.js';
import { UsageError } from '../cli-errors.js';
import { readText } from '../input.js';
import { formatTable } from '../output.js';
import { parsePermission } from '../permissions.js';
import { intFlag, parseJsonObject, runAction, type Runtime } from '../runtime.js';

/** Calls AccessService, converting failures to SmarterBaseError. */
async function call<R>(rt: Runtime, fn: (c: Client<typeof AccessService>) => Promise<R>): Promise<R> {
  const client = createConnectClient(AccessService, rt.transport());
  try {
    return await fn(client);
  } catch (e) {
    throw toSmarterBaseError(e);
  }
}

/** Every page of a paged list call. */
async function allPages<T>(page: (token: string) => Promise<{ items: T[]; next: string }>): Promise<T[]> {
  const out: T[] = [];
  let token = '';
  do {
    const p = await page(token);
    out.push(...p.items);
    token = p.next;
  } while (token !== '');
  return out;
}

function json<D extends DescMessage>(schema: D, m: MessageShape<D> | undefined): JsonValue {
  return m === undefined ? null : toJson(schema, m);
}

/** Registers key, role and principal on the program. */
export function registerAccessCommands(program: Command): void {
  const key = program.command('key').description('API keys: create, list, revoke');
  key
    .command('create')
    .description('create an API key for a principal; prints the key string once (it is never shown again)')
    .argument('<principal>')
    .option('--expires <time>', 'when it stops working (ISO 8601)')
    .action((principal: string, o: { expires?: string }, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const at = o.expires === undefined ? undefined : new Date(o.expires);
        if (at !== undefined && Number.isNaN(at.getTime())) throw new UsageError(`--expires must be an ISO 8601 time (got "${o.expires}")`);
        const res = await call(rt, (c) => c.createApiKey({ principal, expireTime: at && timestampFromDate(at) }));
        rt.print({ secret: res.secret, key: json(ApiKeySchema, res.key) }, () => res.secret + '\n');
        rt.note(`key ${res.key?.keyId ?? '?'} for ${principal}: keep the line above secret, it is shown only once`);
      }),
    );
  key
    .command('list')
    .description('API keys (never their secrets)')
    .option('--principal <name>', "only this principal's keys")
    .action((o: { principal?: string }, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const keys = await allPages(async (pageToken) => {
          const r = await call(rt, (c) => c.listApiKeys({ pageToken, principal: o.principal ?? '' }));
          return { items: r.keys.map((k) => json(ApiKeySchema, k)), next: r.nextPageToken };
        });
        rt.print(keys, () => formatTable(keys, ['keyId', 'principal', 'createTime', 'expireTime', 'revoked']));
      }),
    );
  key
    .command('revoke')
    .description('revoke a key by its id (16 hex characters)')
    .argument('<keyId>')
    .action((keyId: string, _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => rt.print(json(ApiKeySchema, (await call(rt, (c) => c.revokeApiKey({ keyId }))).key))),
    );

  const role = program.command('role').description('roles: put, get, list, delete');
  role
    .command('put')
    .description('create or replace a role, e.g. role put reader --allow read:collections=users*')
    .argument('<name>')
    .option(
      '--allow <spec>',
      'a permission VERBS:RESOURCES (repeatable): read,write:collections=users*; lock:locks=*; admin:access',
      (v, acc: string[]) => [...acc, v],
      [],
    )
    .option('--description <text>', 'what the role is for')
    .option('--file <path>', 'the role as proto JSON ({"permissions": [...]}); "-" for stdin')
    .action((name: string, o: { allow: string[]; description?: string; file?: string }, cmd: Command) =>
      runAction(cmd, async (rt) => {
        if ((o.file !== undefined) === o.allow.length > 0) throw new UsageError('give either --allow (one or more) or --file');
        const base =
          o.file !== undefined
            ? fromJson(RoleSchema, parseJsonObject(await readText(o.file), o.file) as JsonValue)
            : { permissions: o.allow.map(parsePermission) };
        const res = await call(rt, (c) =>
          c.putRole({ role: { ...base, name, description: o.description ?? ('description' in base ? base.description : '') } }),
        );
        rt.print(json(RoleSchema, res.role));
      }),
    );
  role
    .command('get')
    .argument('<name>')
    .action((name: string, _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => rt.print(json(RoleSchema, (await call(rt, (c) => c.getRole({ name }))).role))),
    );
  role.command('list').action((_o: unknown, cmd: Command) =>
    runAction(cmd, async (rt) => {
      const roles = await allPages(async (pageToken) => {
        const r = await call(rt, (c) => c.listRoles({ pageToken }));
        return { items: r.roles.map((x) => json(RoleSchema, x)), next: r.nextPageToken };
      });
      rt.print(roles, () => formatTable(roles, ['name', 'description', 'permissions']));
    }),
  );
  role
    .command('delete')
    .argument('<name>')
    .action((name: string, _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => rt.print({ deleted: (await call(rt, (c) => c.deleteRole({ name }))).deleted })),
    );

  const principal = program.command('principal').description('principals: set, get, list');
  principal
    .command('set')
    .description('create or replace a principal, e.g. principal set billing --role reader')
    .argument('<name>')
    .option('--role <role>', 'a role bound to it (repeatable)', (v, acc: string[]) => [...acc, v], [])
    .option('--cert-name <name>', 'a client certificate subject or SAN it answers to (repeatable)', (v, acc: string[]) => [...acc, v], [])
    .option('--rate <callsPerSecond>', 'its own rate limit')
    .option('--burst <n>', 'its own burst')
    .option('--max-streams <n>', 'its own limit of open streams per server')
    .action((name: string, o: { role: string[]; certName: string[]; rate?: string; burst?: string; maxStreams?: string }, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const rate = o.rate === undefined ? 0 : Number(o.rate);
        if (!Number.isFinite(rate) || rate < 0) throw new UsageError(`--rate must be a number >= 0 (got "${o.rate}")`);
        const limits = {
          callsPerSecond: rate,
          burst: intFlag('--burst', o.burst, 0) ?? 0,
          maxStreams: intFlag('--max-streams', o.maxStreams, 0) ?? 0,
        };
        const res = await call(rt, (c) => c.setPrincipal({ principal: { name, roles: o.role, certificateNames: o.certName, limits } }));
        rt.print(json(PrincipalSchema, res.principal));
      }),
    );
  principal
    .command('get')
    .argument('<name>')
    .action((name: string, _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => rt.print(json(PrincipalSchema, (await call(rt, (c) => c.getPrincipal({ name }))).principal))),
    );
  principal.command('list').action((_o: unknown, cmd: Command) =>
    runAction(cmd, async (rt) => {
      const list = await allPages(async (pageToken) => {
        const r = await call(rt, (c) => c.listPrincipals({ pageToken }));
        return { items: r.principals.map((x) => json(PrincipalSchema, x)), next: r.nextPageToken };
      });
      rt.print(list, () => formatTable(list, ['name', 'roles', 'certificateNames', 'limits']));
    }),
  );
}
