import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from './settings.js';

describe('settings', () => {
  test('names are unique and consistent (flag ↔ YAML key ↔ env)', () => {
    for (const s of SETTINGS) {
      const fromFlag = s.flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      expect(fromFlag).toBe(s.key);
      expect(s.env).toBe(`SB_${s.flag.replace(/^--/, '').replace(/-/g, '_').toUpperCase()}`);
    }
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
  });

  test('docs/configuration.md documents every setting with its default', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    for (const s of SETTINGS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${s.env}\` |`));
      expect(row).toBeDefined();
      expect(row).toContain(`\`${s.flag}\``);
      expect(row).toContain(s.default === undefined ? '(unset)' : `\`${String(s.default)}\``);
    }
  });
});
