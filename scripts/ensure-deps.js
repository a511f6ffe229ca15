#!/usr/bin/env node
// Run by `npm start`'s prestart: when node_modules is missing (a fresh clone),
// installs the locked dependencies with `npm ci` so that `npm start` just works.
// Plain Node, no dependencies.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..');
// A marker that only a completed install leaves behind.
const marker = join(root, 'node_modules', '.package-lock.json');

if (existsSync(marker)) process.exit(0);

process.stderr.write('ensure-deps: node_modules is missing; running npm ci\n');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
if (r.error) {
  process.stderr.write(`ensure-deps: cannot run npm ci: ${r.error.message}\n`);
  process.exit(1);
}
process.exit(r.status === null ? 1 : r.status);
