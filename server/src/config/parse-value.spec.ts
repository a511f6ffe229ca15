import { ConfigError, parseValue } from './parse-value.js';

describe('parseValue', () => {
  test('ports and integers are range-checked whole numbers', () => {
    expect(parseValue({ type: 'port' }, 'P', '0')).toBe(0);
    expect(parseValue({ type: 'port' }, 'P', '65535')).toBe(65535);
    for (const bad of ['65536', '-1', '1.5', '', 'x', '1e3']) expect(() => parseValue({ type: 'port' }, 'P', bad)).toThrow(ConfigError);
    expect(parseValue({ type: 'int', min: 1, max: 10 }, 'N', '10')).toBe(10);
    expect(() => parseValue({ type: 'int', min: 1, max: 10 }, 'N', '11')).toThrow(
      'config error: N must be an integer from 1 to 10 (got "11")',
    );
  });

  test('enums accept only their choices', () => {
    expect(parseValue({ type: 'enum', choices: ['a', 'b'] }, 'E', 'b')).toBe('b');
    expect(() => parseValue({ type: 'enum', choices: ['a', 'b'] }, 'E', 'B')).toThrow('config error: E must be one of a, b (got "B")');
  });

  test('booleans', () => {
    for (const t of ['true', 'TRUE', '1', 'yes', 'on']) expect(parseValue({ type: 'bool' }, 'B', t)).toBe(true);
    for (const f of ['false', '0', 'no', 'off']) expect(parseValue({ type: 'bool' }, 'B', f)).toBe(false);
    expect(() => parseValue({ type: 'bool' }, 'B', 'y')).toThrow('config error: B must be true or false (got "y")');
  });
});
