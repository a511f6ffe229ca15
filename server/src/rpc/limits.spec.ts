import { SETTINGS } from '../config/settings.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_MESSAGE_BYTES } from './limits.js';

describe('limit defaults', () => {
  test("every limit of the edge is a setting and takes the settings table's default", () => {
    for (const [key, value] of Object.entries(DEFAULT_LIMITS)) {
      expect([key, SETTINGS.find((s) => s.key === key)?.default]).toEqual([key, value]);
    }
    expect(SETTINGS.find((s) => s.key === 'maxMessageBytes')?.default).toBe(DEFAULT_MAX_MESSAGE_BYTES);
  });
});
