/**
 * The clients install the way their READMEs say (issue 15, "Installable
 * clients"): each README's install block (the first ```sh block after
 * "## Install") is run as printed — with /path/to/smarterbase replaced by
 * this checkout — in a new project outside the repository, and a small
 * program there then writes and reads a document on a live server:
 *   TypeScript: npm pack (its prepack builds dist/) + npm install of the tarball;
 *   Go: a require + `replace` to the clone + go mod tidy, in a new module;
 *   Python: pip install into a new virtualenv (and the runtime dependencies
 *   resolve for the claimed floor, Python 3.10).
 * Needs the npm registry, the Go module proxy and PyPI (CI has them).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startServer, type ServerProcess } from '../harness/server-process.js';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const MINUTES = 60_000;

/** The install block of a README, with the clone's path filled in. */
async function installLines(readme: string): Promise<string[]> {
  const text = await readFile(join(ROOT, readme), 'utf8');
  const section = text.slice(text.indexOf('## Install'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error(`${readme}: no sh block under "## Install"`);
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replaceAll('/path/to/smarterbase', ROOT));
}

/** Runs `script` with bash in `cwd`; the output on failure names the step. */
async function sh(cwd: string, script: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 8 * MINUTES,
    });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${script}\n→ ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`, { cause: e });
  }
}

let server: ServerProcess;
let addr: string;
const dirs: string[] = [];

async function project(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `sb-install-${name}-`));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  server = await startServer({ SB_STORAGE: 'memory' });
  addr = `127.0.0.1:${server.grpcPort}`;
}, 2 * MINUTES);

afterAll(async () => {
  await server?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('each client installs as its README says, outside the repository, and talks to a live server', () => {
  test.concurrent(
    'TypeScript: npm pack + npm install of the tarball',
    async () => {
      const dir = await project('ts');
      await sh(dir, 'npm init -y >/dev/null');
      for (const line of await installLines('clients/ts/README.md')) await sh(dir, line);
      await writeFile(
        join(dir, 'use.js'),
        `const { createClient } = require('@smarterbase/client');
(async () => {
  const db = createClient({ address: process.argv[2], timeoutMs: 10000 });
  await db.put('installs', 'ts', { via: 'npm pack' });
  console.log(JSON.stringify((await db.get('installs', 'ts')).data));
  db.close();
})().catch((e) => { console.error(e); process.exit(1); });
`,
      );
      expect(JSON.parse(await sh(dir, `node use.js ${addr}`))).toEqual({ via: 'npm pack' });
      expect(await sh(dir, 'ls node_modules/@smarterbase/client/dist/index.js')).toContain('index.js'); // a real copy, built
    },
    10 * MINUTES,
  );

  test.concurrent(
    'Go: a require + replace to the clone + go mod tidy, in a new module',
    async () => {
      const dir = await project('go');
      await sh(dir, 'go mod init example.com/consumer >/dev/null 2>&1');
      await writeFile(
        join(dir, 'main.go'),
        `package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

func main() {
	ctx := context.Background()
	c, err := smarterbase.Dial(ctx, os.Args[1], smarterbase.WithCallTimeout(10*time.Second))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if _, err := c.Put(ctx, "installs", "go", map[string]any{"via": "go get"}); err != nil {
		panic(err)
	}
	doc, err := c.Get(ctx, "installs", "go")
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(doc.Data)
	fmt.Println(string(out))
}
`,
      );
      // The README's lines come after the code: go mod tidy resolves what the code imports.
      for (const line of await installLines('clients/go/README.md')) await sh(dir, line);
      expect(JSON.parse(await sh(dir, `go run . ${addr}`))).toEqual({ via: 'go get' });
    },
    10 * MINUTES,
  );

  test.concurrent(
    'Python: pip install into a new virtualenv; the dependencies resolve for Python 3.10',
    async () => {
      const dir = await project('py');
      await sh(dir, 'python3 -m venv venv');
      const venv = { PATH: `${join(dir, 'venv/bin')}:${process.env.PATH ?? ''}`, VIRTUAL_ENV: join(dir, 'venv') };
      for (const line of await installLines('clients/python/README.md')) await sh(dir, line, venv);
      const script = `import sys
from smarterbase_client import Client
with Client(sys.argv[1], timeout=10.0) as db:
    db.put("installs", "py", {"via": "pip"})
    import json; print(json.dumps(db.get("installs", "py").data))
`;
      await writeFile(join(dir, 'use.py'), script);
      // Run from the project, not the clone: the import must come from the virtualenv.
      expect(JSON.parse(await sh(dir, `python use.py ${addr}`, venv))).toEqual({ via: 'pip' });
      const deps = await sh(
        dir,
        `python -c 'import tomllib; print("\\n".join(tomllib.load(open("${ROOT}/clients/python/pyproject.toml", "rb"))["project"]["dependencies"]))'`,
        venv,
      );
      const quoted = deps
        .trim()
        .split('\n')
        .map((d) => `'${d}'`)
        .join(' ');
      // Resolved from the index's metadata (no wheel downloaded): every pin has a release for 3.10.
      await sh(dir, `pip install -q --dry-run --ignore-installed --only-binary=:all: --python-version 3.10 --target py310 ${quoted}`, venv);
    },
    10 * MINUTES,
  );
});
