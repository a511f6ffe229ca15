/**
 * The --allow flag of `role put`: one Permission per flag, written
 * VERBS:RESOURCES, e.g. "read,write:collections=users,orders*",
 * "lock:locks=*", "read:logs=audit*", "admin:access" (the AccessService
 * data), or several resources joined by ";":
 * "read:collections=users;logs=users-audit".
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Verb, type PermissionSchema } from '../gen/smarterbase/v1/access_pb.js';
import { UsageError } from './cli-errors.js';

const VERBS: Readonly<Record<string, Verb>> = {
  read: Verb.READ,
  write: Verb.WRITE,
  admin: Verb.ADMIN,
  lock: Verb.LOCK,
  stream: Verb.STREAM,
};

/** The Permission init of one --allow value; UsageError naming what is wrong. */
export function parsePermission(spec: string): MessageInitShape<typeof PermissionSchema> {
  const colon = spec.indexOf(':');
  if (colon <= 0) throw new UsageError(`--allow "${spec}": write VERBS:RESOURCES, e.g. read,write:collections=users*`);
  const verbs = spec
    .slice(0, colon)
    .split(',')
    .map((v) => {
      const verb = VERBS[v.trim().toLowerCase()];
      if (verb === undefined) throw new UsageError(`--allow "${spec}": unknown verb "${v}" (read, write, admin, lock, stream)`);
      return verb;
    });
  const perm = { verbs, collections: [] as string[], locks: [] as string[], logs: [] as string[], accessControl: false };
  for (const part of spec.slice(colon + 1).split(';')) {
    const p = part.trim();
    if (p === 'access') {
      perm.accessControl = true;
      continue;
    }
    const m = /^(collections|locks|logs)=(.+)$/.exec(p);
    if (m === null) throw new UsageError(`--allow "${spec}": resources are collections=…, locks=…, logs=… or access (got "${p}")`);
    const kind = m[1] as 'collections' | 'locks' | 'logs';
    perm[kind].push(
      ...m[2]
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
  }
  return perm;
}
