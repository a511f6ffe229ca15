import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runJsonScript, startListening } from './processes.js';

describe('child processes', () => {
  let dir: string;
  const script = async (name: string, body: string) => {
    const file = join(dir, name);
    await writeFile(file, body);
    return file;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-bench-spec-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('startListening reads the ports from the "listening" log line, skipping other lines', async () => {
    const file = await script(
      'listen.js',
      `process.stdout.write('not json\\n{"msg":"starting"}\\n');
       setTimeout(() => process.stdout.write(JSON.stringify({ level: 30, msg: 'listening', grpcPort: 1234, httpPort: 5678 }) + '\\n'), 50);
       setInterval(() => {}, 1000);`,
    );
    const p = await startListening(file, []);
    try {
      expect(p.port).toBe(1234);
      expect(p.httpPort).toBe(5678);
      expect(p.pid).toBeGreaterThan(0);
    } finally {
      await p.stop();
    }
    await p.stop(); // idempotent
    expect(() => process.kill(p.pid, 0)).toThrow();
  });

  it('startListening fails with the output of a child that exits early', async () => {
    const file = await script('fail.js', `process.stderr.write('bad flag --x\\n'); process.exit(2);`);
    await expect(startListening(file, [])).rejects.toThrow(/exited during start-up \(code 2\).*bad flag --x/s);
  });

  it('runJsonScript returns the last JSON line and rejects a failing script', async () => {
    const ok = await script('ok.js', `console.log('progress'); console.log(JSON.stringify({ calls: 3 }));`);
    await expect(runJsonScript(ok, [])).resolves.toEqual({ calls: 3 });
    const bad = await script('bad.js', `console.error('boom'); process.exit(1);`);
    await expect(runJsonScript(bad, [])).rejects.toThrow(/exited with 1: boom/);
  });

  it('freePort returns a bindable port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });
});
