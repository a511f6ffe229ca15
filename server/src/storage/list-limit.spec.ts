import { validateListLimit } from './list-limit.js';

describe('validateListLimit', () => {
  it('accepts 1..1000 and rejects the rest with invalid INVALID_ARGUMENT on field limit', () => {
    expect(() => validateListLimit(1)).not.toThrow();
    expect(() => validateListLimit(1000)).not.toThrow();
    for (const bad of [0, 1001, 1.5, -1, Number.NaN]) {
      expect(() => validateListLimit(bad)).toThrow(
        expect.objectContaining({ kind: 'invalid', reason: 'INVALID_ARGUMENT', field: 'limit' }),
      );
    }
  });
});
