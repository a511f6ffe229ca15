import { DbError } from '../errors/db-error.js';
import { chunkFirstOf, chunkKey, validateLogName } from './log-name.js';

describe('log names', () => {
  test('accepts names like collections', () => {
    for (const name of ['audit', 'a', '9x', 'app.events-2026_12', 'a'.repeat(128)]) expect(() => validateLogName(name)).not.toThrow();
  });

  test('refuses .., paths, empty and overlong names with INVALID_LOG_NAME', () => {
    for (const name of ['..', '../etc', '.hidden', 'a/b', '', '-x', '_x', 'a b', 'é', 'a'.repeat(129)]) {
      let err: unknown;
      try {
        validateLogName(name);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DbError);
      expect((err as DbError).reason).toBe('INVALID_LOG_NAME');
      expect((err as DbError).field).toBe('log');
    }
  });

  test('chunk keys sort by sequence and name their first sequence', () => {
    expect(chunkKey('audit', 101)).toBe('logs/audit/c/00000000000000000101');
    expect(chunkKey('a', 9) < chunkKey('a', 10)).toBe(true);
    expect(chunkFirstOf(chunkKey('a', 123456))).toBe(123456);
    expect(chunkFirstOf('logs/a/c/x')).toBeUndefined();
    expect(chunkFirstOf('logs/a/c/00000000000000000000')).toBeUndefined();
  });
});
