import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './load-config.js';
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
      const dflt = s.default !== undefined ? `\`${String(s.default)}\`` : s.derivedDefault ? s.derivedDefault.text : '(unset)';
      expect(row).toContain(dflt);
    }
  });
});

describe('observability settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ argv: [], env }).config;

  test('metrics are on at port 9464 by default, tracing off', () => {
    const c = load({});
    expect(c.metrics).toBe(true);
    expect(c.metricsPort).toBe(9464);
    expect(c.otlpEndpoint).toBeUndefined();
  });

  test('SB_METRICS=off disables metrics; SB_METRICS_PORT=0 picks a free port; a negative port is an error', () => {
    expect(load({ SB_METRICS: 'off' }).metrics).toBe(false);
    expect(load({ SB_METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(() => load({ SB_METRICS_PORT: '-1' })).toThrow('config error: SB_METRICS_PORT must be a port from 0 to 65535 (got "-1")');
    expect(load({ SB_OTLP_ENDPOINT: 'http://collector:4318' }).otlpEndpoint).toBe('http://collector:4318');
  });
});

describe('batch settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ argv: [], env }).config;

  test('SB_MAX_BATCH_WRITE_ITEMS defaults to 500 and must be 1..10000', () => {
    expect(load({}).maxBatchWriteItems).toBe(500);
    expect(load({ SB_MAX_BATCH_WRITE_ITEMS: '20' }).maxBatchWriteItems).toBe(20);
    expect(loadConfig({ argv: ['--max-batch-write-items', '7'], env: {} }).config.maxBatchWriteItems).toBe(7);
    expect(() => load({ SB_MAX_BATCH_WRITE_ITEMS: '0' })).toThrow(
      'config error: SB_MAX_BATCH_WRITE_ITEMS must be an integer from 1 to 10000 (got "0")',
    );
  });
});
