/** The child-process harness under every S3 test server: start-up failures are clear and nothing is left running. */
import { spawnTestChild, waitUntilReady } from './test-child.js';

const alive = (pid: number | undefined): boolean => {
  try {
    process.kill(pid ?? -1, 0);
    return true;
  } catch {
    return false;
  }
};

describe('waitUntilReady', () => {
  it('reports a child that exits during start-up with its exit code and stderr', async () => {
    const child = spawnTestChild('sh', ['-c', 'echo "bad flag --x" >&2; exit 3']);
    await expect(waitUntilReady(child, 'thing', async () => false, 10_000)).rejects.toThrow(
      /thing exited during start-up \(code 3\): bad flag --x/,
    );
  });

  it('kills a child that is not ready in time and says how long it waited', async () => {
    const child = spawnTestChild('sleep', ['60']);
    await expect(waitUntilReady(child, 'sleeper', async () => false, 200)).rejects.toThrow(/sleeper did not become ready within 200 ms/);
    expect(child.hasExited()).toBe(true);
    expect(alive(child.process.pid)).toBe(false);
  });

  it('returns once the probe holds; kill() is idempotent and leaves nothing running', async () => {
    const child = spawnTestChild('sleep', ['60']);
    let polls = 0;
    await waitUntilReady(child, 'sleeper', async () => ++polls >= 3, 10_000, 5);
    expect([polls, child.hasExited()]).toEqual([3, false]);
    await Promise.all([child.kill(), child.kill()]);
    expect(alive(child.process.pid)).toBe(false);
  });
});
