/**
 * AccessService messages ⇄ the access model (access/access-model.ts): verbs
 * from the proto enum to their names and back, roles, principals and key
 * records (never a secret but the one CreateApiKey returns).
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import type {
  Permission as ModelPermission,
  Principal as ModelPrincipal,
  Role as ModelRole,
  Verb as ModelVerb,
} from '../../../access/access-model.js';
import type { ApiKeyRecord } from '../../../access/access-store.js';
import { invalid } from '../../../errors/db-error.js';
import {
  ApiKeySchema,
  PermissionSchema,
  PrincipalSchema,
  RoleSchema,
  Verb,
  type ApiKey,
  type Permission,
  type Principal,
  type Role,
} from '../../../gen/smarterbase/v1/access_pb.js';

const VERB_NAMES: ReadonlyMap<Verb, ModelVerb> = new Map([
  [Verb.READ, 'read'],
  [Verb.WRITE, 'write'],
  [Verb.ADMIN, 'admin'],
  [Verb.LOCK, 'lock'],
  [Verb.STREAM, 'stream'],
]);
const VERB_VALUES: ReadonlyMap<ModelVerb, Verb> = new Map([...VERB_NAMES].map(([v, n]) => [n, v]));

function permissionOf(p: Permission, field: string): ModelPermission {
  return {
    verbs: p.verbs.map((v, i) => {
      const name = VERB_NAMES.get(v);
      if (name === undefined) throw invalid('INVALID_ARGUMENT', `${field}.verbs[${i}]`, `${field}.verbs[${i}] is not a verb`);
      return name;
    }),
    collections: p.collections,
    locks: p.locks,
    logs: p.logs,
    accessControl: p.accessControl,
  };
}

/** The model role of a request's role; INVALID_ARGUMENT when absent. */
export function roleOf(r: Role | undefined): ModelRole {
  if (r === undefined) throw invalid('INVALID_ARGUMENT', 'role', 'role is required');
  return { name: r.name, description: r.description, permissions: r.permissions.map((p, i) => permissionOf(p, `role.permissions[${i}]`)) };
}

/** The proto role of a model role. */
export function roleMessage(r: ModelRole): Role {
  return create(RoleSchema, {
    name: r.name,
    description: r.description,
    permissions: r.permissions.map((p) =>
      create(PermissionSchema, {
        verbs: p.verbs.map((v) => VERB_VALUES.get(v) ?? Verb.UNSPECIFIED),
        collections: [...p.collections],
        locks: [...p.locks],
        logs: [...p.logs],
        accessControl: p.accessControl,
      }),
    ),
  });
}

/** The model principal of a request's principal; INVALID_ARGUMENT when absent. */
export function principalOf(p: Principal | undefined): ModelPrincipal {
  if (p === undefined) throw invalid('INVALID_ARGUMENT', 'principal', 'principal is required');
  const l = p.limits;
  const limits = {
    ...(l === undefined || l.callsPerSecond === 0 ? {} : { callsPerSecond: l.callsPerSecond }),
    ...(l === undefined || l.burst === 0 ? {} : { burst: l.burst }),
    ...(l === undefined || l.maxStreams === 0 ? {} : { maxStreams: l.maxStreams }),
  };
  return { name: p.name, roles: p.roles, certificateNames: p.certificateNames, ...(Object.keys(limits).length === 0 ? {} : { limits }) };
}

/** The proto principal of a model principal. */
export function principalMessage(p: ModelPrincipal): Principal {
  return create(PrincipalSchema, {
    name: p.name,
    roles: [...p.roles],
    certificateNames: [...p.certificateNames],
    ...(p.limits === undefined
      ? {}
      : { limits: { callsPerSecond: p.limits.callsPerSecond ?? 0, burst: p.limits.burst ?? 0, maxStreams: p.limits.maxStreams ?? 0 } }),
  });
}

/** The proto description of a key record (no secret, no hash). */
export function apiKeyMessage(k: ApiKeyRecord): ApiKey {
  return create(ApiKeySchema, {
    keyId: k.id,
    principal: k.principal,
    createTime: timestampFromMs(k.createTimeMs),
    ...(k.expireTimeMs === undefined ? {} : { expireTime: timestampFromMs(k.expireTimeMs) }),
    revoked: k.revoked,
  });
}

/** A request's optional expire time in ms. */
export function expireMsOf(t: Timestamp | undefined): number | undefined {
  return t === undefined ? undefined : timestampMs(t);
}
