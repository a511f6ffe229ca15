#!/usr/bin/env node
// Makes the built `smarterbase` CLI (package.json "bin") executable. tsc writes it with mode 0644,
// and `npx smarterbase` in this repository runs the file itself when npm's link of it already
// exists (a second clone at the same path, or npm's exec cache): "Permission denied" otherwise.
// Run after every build: `npm run build` (postbuild) and the build of `npm start` (scripts/start.js).
'use strict';
const { chmodSync, existsSync } = require('node:fs');
const { join } = require('node:path');

/** The built CLI entry point. */
const cli = join(__dirname, '..', 'dist', 'clients', 'ts', 'src', 'cli', 'main.js');

/** Sets the execute bits of the built CLI, when it was built. */
function markBin() {
  if (existsSync(cli)) chmodSync(cli, 0o755);
}

module.exports = { markBin };
if (require.main === module) markBin();
