import { cellOf, documentColumns, formatJson, formatTable, outputFormatOf, pick, toPlain } from './output';

it('toPlain turns bigints, dates and bytes into JSON text and drops undefined fields', () => {
  expect(toPlain({ a: 1n, b: new Date(0), c: new Uint8Array([1, 2]), d: undefined, e: [2n] })).toEqual({
    a: '1',
    b: '1970-01-01T00:00:00.000Z',
    c: 'AQI=',
    e: ['2'],
  });
});

it('formatJson is indented for people and one line with --json', () => {
  expect(formatJson({ a: 1n }, true)).toBe('{"a":"1"}\n');
  expect(formatJson({ a: 1 }, false)).toBe('{\n  "a": 1\n}\n');
});

it('tables show dotted columns, strings bare and other values as JSON', () => {
  const rows = [{ id: 'x', data: { n: 1, s: 'hi', o: { k: true } } }];
  const t = formatTable(rows, ['id', 'data.n', 'data.s', 'data.o']);
  expect(t).toMatch(/id .*data\.n .*data\.s .*data\.o/);
  expect(t).toMatch(/x .*1 .*hi .*\{"k":true\}/);
  expect(cellOf(undefined)).toBe('');
  expect(cellOf(5n)).toBe('5');
  expect(pick(rows[0], 'data.o.k')).toBe(true);
  expect(pick(rows[0], 'data.missing.k')).toBeUndefined();
});

it('documentColumns lists id, version and the data fields seen, up to a maximum', () => {
  expect(documentColumns([{ data: { a: 1 } }, { data: { b: 1, a: 2 } }])).toEqual(['id', 'version', 'data.a', 'data.b']);
  expect(documentColumns([{ data: { a: 1, b: 2, c: 3 } }], 2)).toEqual(['id', 'version', 'data.a', 'data.b']);
});

it('outputFormatOf defaults to table (json with --json) and refuses other names', () => {
  expect(outputFormatOf(undefined, false)).toBe('table');
  expect(outputFormatOf(undefined, true)).toBe('json');
  expect(outputFormatOf('jsonl', true)).toBe('jsonl');
  expect(() => outputFormatOf('csv', false)).toThrow('--output must be table, json or jsonl (got "csv")');
});
