import { DbError } from '../errors/db-error.js';
import { armedFailpoints, configureFailpoints, failpoint } from './failpoints.js';

describe('failpoints', () => {
  afterEach(() => configureFailpoints(''));

  test('unarmed failpoints do nothing; error ones throw UNAVAILABLE naming the failpoint', () => {
    expect(() => failpoint('txn.after-intent')).not.toThrow();
    configureFailpoints('txn.after-intent=error, txn.after-lock=error');
    expect([...armedFailpoints().keys()]).toEqual(['txn.after-intent', 'txn.after-lock']);
    let err: unknown;
    try {
      failpoint('txn.after-intent');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DbError);
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE', metadata: { failpoint: 'txn.after-intent' } });
    expect(() => failpoint('txn.after-stage')).not.toThrow();
    configureFailpoints('');
    expect(() => failpoint('txn.after-intent')).not.toThrow();
  });

  test('malformed specs are refused', () => {
    for (const bad of ['x', 'x=boom', '=crash', 'x=crash=1']) expect(() => configureFailpoints(bad)).toThrow(/malformed failpoint/);
  });
  // The crash action (SIGKILL of the process) is proven by test/integration/txn-crash.test.ts.
});
