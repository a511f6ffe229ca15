import { DbError } from '../errors/db-error.js';
import { checkAllowed, checkAllowedSome } from './access-check.js';
import type { Caller } from './authenticator.js';

const caller: Caller = {
  principal: 'ann',
  via: 'k',
  roles: [
    { name: 'r', description: '', permissions: [{ verbs: ['write'], collections: ['ok'], locks: [], logs: [], accessControl: false }] },
  ],
};

describe('checkAllowed', () => {
  test('passes when every resource is allowed', () => {
    expect(() => checkAllowed(caller, 'write', [{ kind: 'collection', name: 'ok' }])).not.toThrow();
  });

  test('one refused resource refuses the whole call, naming verb and resource in the metadata', () => {
    try {
      checkAllowed(caller, 'write', [
        { kind: 'collection', name: 'ok' },
        { kind: 'collection', name: 'secret' },
      ]);
      throw new Error('allowed');
    } catch (e) {
      expect(e).toBeInstanceOf(DbError);
      expect(e).toMatchObject({
        kind: 'permission_denied',
        reason: 'PERMISSION_DENIED',
        metadata: { principal: 'ann', verb: 'write', resource: 'collection:secret' },
      });
    }
  });

  test('checkAllowedSome needs the verb on some pattern of the kind', () => {
    expect(() => checkAllowedSome(caller, 'write', 'collection')).not.toThrow();
    expect(() => checkAllowedSome(caller, 'read', 'collection')).toThrow(DbError);
  });
});
