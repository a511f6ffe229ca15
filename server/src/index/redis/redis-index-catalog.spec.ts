import { parseCatalog, parseDefinition } from './redis-index-catalog.js';

const def = (name: string, tok: string): string =>
  JSON.stringify({ collection: 'c', name, fields: [name], kind: 'unique', createTime: '2026-01-01T00:00:00.000Z', tok });

describe('parseCatalog', () => {
  it('reads definitions, state, progress, error and tokens, sorted by name', () => {
    const cached = parseCatalog({
      _version: '7',
      _stamp: '12',
      _born: '1700000000000000',
      'd:b': def('b', 'b@3'),
      'st:b': 'ready',
      'sc:b': '40',
      'd:a': def('a', 'a@2'),
      'er:a': 'boom',
      'st:a': 'failed',
    });
    expect(cached.catalog.indexes.map((i) => [i.name, i.state, i.documentsScanned, i.error])).toEqual([
      ['a', 'failed', 0, 'boom'],
      ['b', 'ready', 40, undefined],
    ]);
    expect([cached.catalog.version, cached.stamp, [...cached.tokens]]).toEqual([
      7,
      '12',
      [
        ['b', 'b@3'],
        ['a', 'a@2'],
      ],
    ]);
  });

  it("tells the catalog's generation: '' with no hash (never indexed, or Redis lost it), its _born, or v0 for a hash older than _born", () => {
    expect(parseCatalog({}).catalog.generation).toBe('');
    expect(parseCatalog({ _version: '5', _stamp: '5', _born: '5' }).catalog.generation).toBe('5');
    expect(parseCatalog({ _version: '5', _stamp: '9' }).catalog.generation).toBe('v0');
  });

  it('keeps hashValues of a hashed index; a definition without it reads as not hashed', () => {
    const hashed = JSON.stringify({
      collection: 'c',
      name: 'h',
      fields: ['e'],
      kind: 'unique',
      hashValues: true,
      createTime: '2026-01-01T00:00:00.000Z',
      tok: 'h@1',
    });
    expect(parseDefinition(hashed).info.hashValues).toBe(true);
    expect(parseDefinition(def('p', 'p@1')).info.hashValues).toBeUndefined();
    expect(parseCatalog({ _stamp: '1', 'd:h': hashed, 'st:h': 'ready' }).catalog.indexes[0]).toMatchObject({ name: 'h', hashValues: true });
  });
});
