import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInfo, packageVersion } from './build-info.js';

describe('buildInfo', () => {
  test('reads the version of the smarterbase package.json above this file', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(buildInfo()).toEqual({ version: pkg.version, nodeVersion: process.version });
  });

  test('skips package.json files of other packages; unknown when there is none', () => {
    const root = mkdtempSync(join(tmpdir(), 'sb-build-info-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'smarterbase', version: '9.9.9' }));
    mkdirSync(join(root, 'inner', 'deep'), { recursive: true });
    writeFileSync(join(root, 'inner', 'package.json'), JSON.stringify({ name: 'other', version: '1.0.0' }));
    expect(packageVersion(join(root, 'inner', 'deep'))).toBe('9.9.9');
    expect(packageVersion('/')).toBe('unknown');
  });
});
