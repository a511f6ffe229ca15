import { DbError } from '../errors/db-error.js';
import { Failpoints } from './failpoints.js';

describe('failpoints', () => {
  test('unarmed failpoints do nothing; error ones throw UNAVAILABLE naming the failpoint', () => {
    const failpoints = new Failpoints();
    expect(() => failpoints.hit('txn.after-intent')).not.toThrow();
    failpoints.configure('txn.after-intent=error, txn.after-lock=error');
    expect([...failpoints.armedFailpoints().keys()]).toEqual(['txn.after-intent', 'txn.after-lock']);
    let err: unknown;
    try {
      failpoints.hit('txn.after-intent');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DbError);
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE', metadata: { failpoint: 'txn.after-intent' } });
    expect(() => failpoints.hit('txn.after-stage')).not.toThrow();
    failpoints.configure('');
    expect(() => failpoints.hit('txn.after-intent')).not.toThrow();
  });

  test('malformed specs are refused', () => {
    for (const bad of ['x', 'x=boom', '=crash', 'x=crash=1', 'x=pause=1'])
      expect(() => new Failpoints().configure(bad)).toThrow(/malformed failpoint/);
  });

  test("each registry is its own: arming one engine's leaves another's unarmed; fromSpec reads an env-style spec", () => {
    const a = Failpoints.fromSpec('txn.after-lock=error');
    const b = Failpoints.fromSpec(undefined);
    expect(() => a.hit('txn.after-lock')).toThrow(DbError);
    expect(() => b.hit('txn.after-lock')).not.toThrow();
    expect(() => Failpoints.fromSpec('nope')).toThrow(/malformed failpoint/);
  });
  test('pause holds an async step until the failpoint is disarmed; hit ignores it; reached acts like hit otherwise', async () => {
    const failpoints = Failpoints.fromSpec('txn.after-response=pause');
    expect(() => failpoints.hit('txn.after-response')).not.toThrow();
    let released = false;
    const held = failpoints.reached('txn.after-response').then(() => (released = true));
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(false);
    failpoints.configure('txn.after-response=pause, other=pause'); // still armed: still held
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(false);
    failpoints.configure('other=pause');
    await held;
    expect(released).toBe(true);
    await expect(failpoints.reached('unarmed')).resolves.toBeUndefined();
    failpoints.configure('x=error');
    await expect(failpoints.reached('x')).rejects.toBeInstanceOf(DbError);
  });

  // The crash action (SIGKILL of the process) is proven by test/integration/txn-crash.test.ts.
});
