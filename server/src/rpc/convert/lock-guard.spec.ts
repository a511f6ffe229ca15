import { DbError } from '../../errors/db-error.js';
import { lockGuardField, lockGuardOf } from './lock-guard.js';

function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DbError);
    expect((e as DbError).kind).toBe('invalid');
    return (e as DbError).field;
  }
  throw new Error('expected an error');
}

describe('lock guard converter', () => {
  test('lock guards: absent → none; name and token carried as bigint; empty name or negative token rejected', () => {
    expect(lockGuardOf(undefined)).toBeUndefined();
    expect(lockGuardField(undefined)).toEqual({});
    const g = { $typeName: 'smarterbase.v1.LockGuard' as const, name: 'jobs', fencingToken: 2n ** 62n };
    expect(lockGuardOf(g)).toEqual({ name: 'jobs', fencingToken: 2n ** 62n });
    expect(lockGuardField(g)).toEqual({ lockGuard: { name: 'jobs', fencingToken: 2n ** 62n } });
    expect(fieldOf(() => lockGuardOf({ ...g, name: '' }))).toBe('lock_guard.name');
    expect(fieldOf(() => lockGuardOf({ ...g, fencingToken: -1n }))).toBe('lock_guard.fencing_token');
  });
});
