import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DbError } from '../errors/db-error.js';
import { loadCollectionsFile, parseCollectionsConfig, parseCollectionsFile } from './collections-file.js';

function errorOf(f: () => unknown): DbError {
  try {
    f();
  } catch (e) {
    if (e instanceof DbError) return e;
    throw e;
  }
  throw new Error('expected a DbError');
}

describe('collections file', () => {
  it('reads the declared indexes of every collection', () => {
    const defs = parseCollectionsFile(`
collections:
  users:
    indexes:
      - { name: by_email, fields: [email], kind: unique }
      - name: by_age
        fields: age
        kind: ordered
  orders:
    indexes:
      - { name: by_customer_status, fields: [customer.id, status], kind: equality }
  empty:
`);
    expect(defs).toEqual([
      { collection: 'users', name: 'by_email', fields: ['email'], kind: 'unique' },
      { collection: 'users', name: 'by_age', fields: ['age'], kind: 'ordered' },
      { collection: 'orders', name: 'by_customer_status', fields: ['customer.id', 'status'], kind: 'equality' },
    ]);
  });

  it('reads hashValues of equality/unique indexes; refuses it on ordered ones and non-booleans', () => {
    const defs = parseCollectionsFile(`
collections:
  users:
    indexes:
      - { name: by_email, fields: [email], kind: unique, hashValues: true }
      - { name: by_city, fields: [city], kind: equality, hashValues: false }
`);
    expect(defs).toEqual([
      { collection: 'users', name: 'by_email', fields: ['email'], kind: 'unique', hashValues: true },
      { collection: 'users', name: 'by_city', fields: ['city'], kind: 'equality' },
    ]);
    const ordered = errorOf(() =>
      parseCollectionsFile('collections: { u: { indexes: [{ name: a, fields: [n], kind: ordered, hashValues: true }] } }'),
    );
    expect(ordered.message).toMatch(/collections\.u\.indexes\[0\]\.hashValues.*no order/);
    const notBool = errorOf(() =>
      parseCollectionsFile('collections: { u: { indexes: [{ name: a, fields: [n], kind: unique, hashValues: "yes" }] } }'),
    );
    expect(notBool.message).toMatch(/hashValues.*true or false/);
  });

  it('reads default TTLs, and refuses malformed or short ones', () => {
    const cfg = parseCollectionsConfig(`
collections:
  sessions:
    defaultTtl: 30m
  carts:
    defaultTtl: 1.5h
    indexes:
      - { name: by_user, fields: [user], kind: equality }
`);
    expect([...cfg.defaultTtlMs]).toEqual([
      ['sessions', 1_800_000],
      ['carts', 5_400_000],
    ]);
    expect(cfg.indexes).toHaveLength(1);
    expect(() => parseCollectionsConfig('collections:\n  s:\n    defaultTtl: 10\n')).toThrow(/collections.s.defaultTtl/);
    expect(() => parseCollectionsConfig('collections:\n  s:\n    defaultTtl: 500ms\n')).toThrow(/at least 1s/);
  });

  it('accepts an empty file', () => {
    expect(parseCollectionsFile('')).toEqual([]);
    expect(parseCollectionsFile('collections: {}')).toEqual([]);
  });

  it.each([
    ['collections:\n  users:\n    indexes:\n      - { name: x, fields: [a], kind: fulltext }', 'collections.users.indexes[0].kind'],
    ['collections:\n  users:\n    indexes:\n      - { name: Bad, fields: [a], kind: equality }', 'collections.users.indexes[0].name'],
    ['collections:\n  users:\n    indexes:\n      - { name: x, fields: [a, b], kind: ordered }', 'collections.users.indexes[0].fields'],
    [
      'collections:\n  users:\n    indexes:\n      - { name: x, fields: [a], kind: equality }\n      - { name: x, fields: [b], kind: equality }',
      'collections.users.indexes[1].name',
    ],
    ['collections:\n  users:\n    indexes:\n      - { name: x, field: [a], kind: equality }', 'collections.users.indexes[0].field'],
    ['collections:\n  "bad/name":\n    indexes: []', 'collections.bad/name'],
    ['collections:\n  users:\n    indices: []', 'collections.users.indices'],
    ['collections:\n  users:\n    indexes: nope', 'collections.users.indexes'],
    ['colections: {}', 'colections'],
  ])('names the faulty entry: %#', (text, at) => {
    const e = errorOf(() => parseCollectionsFile(text, 'c.yaml'));
    expect(e.reason).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain(`c.yaml: ${at}`);
  });

  it('reports YAML syntax errors with the line', () => {
    expect(errorOf(() => parseCollectionsFile('collections:\n  users: [\n', 'c.yaml')).message).toMatch(
      /c\.yaml is not valid YAML at line \d/,
    );
  });

  it('loads a file from disk, and reports a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-collections-'));
    try {
      const path = join(dir, 'collections.yaml');
      await writeFile(path, 'collections:\n  users:\n    indexes:\n      - { name: by_email, fields: [email], kind: unique }\n');
      expect(await loadCollectionsFile(path)).toEqual([{ collection: 'users', name: 'by_email', fields: ['email'], kind: 'unique' }]);
      await expect(loadCollectionsFile(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read collections file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads per-log retention from the logs section, and refuses bad names and values', () => {
    const cfg = parseCollectionsConfig(`
collections: {}
logs:
  audit: { retainFor: 90d }
  events:
    retainBytes: 1000000
    retainFor: 1h
`);
    expect([...cfg.logRetention]).toEqual([
      ['audit', { retainMs: 90 * 86_400_000 }],
      ['events', { retainMs: 3_600_000, retainBytes: 1_000_000 }],
    ]);
    expect(() => parseCollectionsConfig('logs:\n  ../x: { retainFor: 1d }\n')).toThrow(/logs/);
    expect(() => parseCollectionsConfig('logs:\n  a: { retainBytes: -1 }\n')).toThrow(/logs.a.retainBytes/);
    expect(() => parseCollectionsConfig('logs:\n  a: { keep: 1 }\n')).toThrow(/logs.a.keep/);
  });
});
