import { isShadowIndex, liveIndexName, shadowIndexName, visibleIndexes } from './index-def.js';

describe('shadow index names (docs/adr/0009)', () => {
  it('names a shadow after its index with a suffix no index name can have, and back', () => {
    expect(shadowIndexName('by_email')).toBe('by_email~shadow');
    expect(isShadowIndex('by_email~shadow')).toBe(true);
    expect(isShadowIndex('by_email')).toBe(false);
    expect(isShadowIndex('shadow')).toBe(false);
    expect(liveIndexName('by_email~shadow')).toBe('by_email');
    expect(liveIndexName('by_email')).toBe('by_email');
  });

  it('visibleIndexes leaves the shadows out, in order', () => {
    expect(visibleIndexes([{ name: 'a' }, { name: 'a~shadow' }, { name: 'b' }]).map((i) => i.name)).toEqual(['a', 'b']);
  });
});
