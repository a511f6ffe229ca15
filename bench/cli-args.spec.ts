import { InvalidArgumentError } from 'commander';
import { positiveInt } from './cli-args.js';

test('positiveInt takes whole numbers from 1 up and refuses the rest', () => {
  expect(positiveInt('1')).toBe(1);
  expect(positiveInt('250')).toBe(250);
  for (const bad of ['0', '-3', '2.5', 'x', '']) expect(() => positiveInt(bad)).toThrow(InvalidArgumentError);
});
