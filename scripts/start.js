#!/usr/bin/env node
// `npm start`: builds only when a source is newer than the build, then runs the server in this
// very process. package.json runs it as `exec node scripts/start.js`, so the shell npm starts is
// replaced by this process and the SIGTERM/SIGINT npm forwards reach the server itself: no
// server is left behind when npm is stopped (a plain `node dist/...` under `sh -c` was orphaned).
// Arguments after `npm start --` go to the server (`npm start -- --version`). Plain Node, no
// dependencies: it runs before anything is built.
'use strict';
const { existsSync, readdirSync, statSync, utimesSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');
const { markBin } = require('./mark-bin.js');

const root = join(__dirname, '..');
const main = join(root, 'dist', 'server', 'src', 'main.js');
/** What the build of the server reads: a change in any of these makes the build stale. */
const inputs = [join(root, 'server', 'src'), join(root, 'tsconfig.json'), join(root, 'package-lock.json')];

/** The newest modification time (ms) of a file, or of any file under a folder. */
function newestMtime(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // a deleted file changes its folder's time
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when dist/server/src/main.js exists and no input is newer than it (tsc rewrites it on every build). */
function isFresh() {
  const built = statSync(main, { throwIfNoEntry: false });
  if (built === undefined) return false;
  return inputs.every((p) => newestMtime(p) <= built.mtimeMs);
}

if (!isFresh()) {
  process.stderr.write('start: sources changed since the last build; building (tsc -p tsconfig.json)…\n');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    // tsc emits even with type errors: mark the output stale so the next start builds again.
    if (existsSync(main)) utimesSync(main, 0, 0);
    process.stderr.write(`start: the build failed${r.error ? `: ${r.error.message}` : ''}; fix the errors above and run npm start again\n`);
    process.exit(1);
  }
}

markBin();
require(main);
