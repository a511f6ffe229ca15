import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { DbError } from '../../../errors/db-error.js';
import { RoleSchema, Verb } from '../../../gen/smarterbase/v1/access_pb.js';
import { apiKeyMessage, expireMsOf, principalOf, roleMessage, roleOf } from './convert-access.js';

describe('convert-access', () => {
  test('a role round-trips, every verb by name', () => {
    const msg = create(RoleSchema, {
      name: 'r',
      description: 'd',
      permissions: [
        {
          verbs: [Verb.READ, Verb.WRITE, Verb.ADMIN, Verb.LOCK, Verb.STREAM],
          collections: ['a*'],
          locks: ['l'],
          logs: ['g'],
          accessControl: true,
        },
      ],
    });
    const model = roleOf(msg);
    expect(model.permissions[0]?.verbs).toEqual(['read', 'write', 'admin', 'lock', 'stream']);
    expect(roleMessage(model)).toEqual(msg);
  });

  test('an unspecified or unknown verb, or a missing role or principal, is INVALID_ARGUMENT naming the field', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof DbError ? e.field : 'other';
      }
      return undefined;
    };
    expect(field(() => roleOf(create(RoleSchema, { name: 'r', permissions: [{ verbs: [Verb.READ, Verb.UNSPECIFIED] }] })))).toBe(
      'role.permissions[0].verbs[1]',
    );
    expect(field(() => roleOf(create(RoleSchema, { name: 'r', permissions: [{ verbs: [99 as Verb] }] })))).toBe(
      'role.permissions[0].verbs[0]',
    );
    expect(field(() => roleOf(undefined))).toBe('role');
    expect(field(() => principalOf(undefined))).toBe('principal');
  });

  test('a key record becomes an ApiKey with its times, never its hash', () => {
    const msg = apiKeyMessage({
      id: '0123456789abcdef',
      principal: 'p',
      secretSha256: 'feedbeef',
      createTimeMs: 1000,
      expireTimeMs: 5000,
      revoked: true,
    });
    expect(msg).toMatchObject({
      keyId: '0123456789abcdef',
      principal: 'p',
      revoked: true,
      createTime: timestampFromMs(1000),
      expireTime: timestampFromMs(5000),
    });
    expect(JSON.stringify(msg, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('feedbeef');
    expect(expireMsOf(undefined)).toBeUndefined();
    expect(expireMsOf(timestampFromMs(42))).toBe(42);
  });
});
