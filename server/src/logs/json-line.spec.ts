import { jsonLineProblem } from './json-line.js';

describe('jsonLineProblem', () => {
  const max = 1024;

  test('accepts any one JSON text on one line', () => {
    for (const line of ['{"a":1}', '[1,2]', '"text"', '12', 'true', 'null', ' {"a": [1, {"b": null}]} ', '{"s":"a\\nb"}']) {
      expect(jsonLineProblem(line, max)).toBeUndefined();
    }
  });

  test('a large integer is accepted as sent (validation never re-serializes)', () => {
    const line = '{"n":12345678901234567890,"f":1.000}';
    expect(jsonLineProblem(line, max)).toBeUndefined();
  });

  test('refuses the empty and blank line', () => {
    expect(jsonLineProblem('', max)).toMatch(/empty/);
    expect(jsonLineProblem('   ', max)).toMatch(/blank/);
  });

  test('refuses a pretty-printed value (raw LF or CR) rather than re-serializing it', () => {
    expect(jsonLineProblem(JSON.stringify({ a: 1 }, null, 2), max)).toMatch(/one line/);
    expect(jsonLineProblem('{"a":1}\r', max)).toMatch(/one line/);
  });

  test('refuses trailing garbage, two values and non-JSON', () => {
    expect(jsonLineProblem('{"a":1} x', max)).toMatch(/one JSON text/);
    expect(jsonLineProblem('{"a":1}{"b":2}', max)).toMatch(/one JSON text/);
    expect(jsonLineProblem('1 2', max)).toMatch(/one JSON text/);
    expect(jsonLineProblem("{'a':1}", max)).toMatch(/one JSON text/);
    expect(jsonLineProblem('{"a":1', max)).toMatch(/one JSON text/);
  });

  test('refuses a line over the byte limit, counting UTF-8 bytes', () => {
    expect(jsonLineProblem(`"${'é'.repeat(10)}"`, 22)).toBeUndefined();
    expect(jsonLineProblem(`"${'é'.repeat(10)}"`, 21)).toMatch(/at most 21 bytes \(is 22\)/);
  });

  test('deep nesting is judged without a crash (valid when balanced, refused when not)', () => {
    expect(jsonLineProblem('['.repeat(200_000) + ']'.repeat(200_000), 1_000_000)).toBeUndefined();
    expect(jsonLineProblem('['.repeat(200_000) + ']'.repeat(199_999), 1_000_000)).toMatch(/one JSON text/);
  });
});
