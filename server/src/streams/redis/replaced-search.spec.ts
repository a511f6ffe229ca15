import type { FeedEvent } from '../change-feed.js';
import { replacedIn, type ReplacedSources } from './replaced-search.js';

function event(revision: number, id: string, prevRevision: number): FeedEvent {
  return { revision, commitTimeMs: 1, changes: [{ id, op: 'put', revision, prevRevision }] };
}

/** Sources over a queue and a stream held in memory, recording the ranges asked. */
function sources(queued: FeedEvent[], stream: FeedEvent[]): ReplacedSources & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    queued: async () => queued.map((e) => JSON.stringify(e)),
    range: async (fromId, count) => {
      asked.push(fromId);
      const exclusive = fromId.startsWith('(');
      const from = Number(fromId.replace('(', '').split('-')[0]);
      return stream
        .filter((e) => (exclusive ? e.revision > from : e.revision >= from))
        .slice(0, count)
        .map((e): [string, string[]] => [`${e.revision}-0`, ['e', JSON.stringify(e), 'w', String(e.revision)]]);
    },
  };
}

describe('replacedIn', () => {
  it('finds a queued change of the id with that previous revision', async () => {
    expect(await replacedIn('x', 7, 0, sources([event(10, 'x', 7)], []))).toBe(true);
    expect(await replacedIn('x', 8, 0, sources([event(10, 'x', 7)], []))).toBe(false);
    expect(await replacedIn('y', 7, 0, sources([event(10, 'x', 7)], []))).toBe(false);
  });

  it('finds a released change at or after the start revision only', async () => {
    const stream = [event(5, 'x', 3), event(10, 'x', 7)];
    expect(await replacedIn('x', 7, 10, sources([], stream))).toBe(true);
    expect(await replacedIn('x', 3, 6, sources([], stream))).toBe(false);
    expect(await replacedIn('x', 3, 5, sources([], stream))).toBe(true);
  });

  it('pages through a long stream from after the last entry of each page', async () => {
    const stream = Array.from({ length: 2500 }, (_, i) => event(i + 1, `d${i + 1}`, 1));
    const s = sources([], stream);
    expect(await replacedIn('d2400', 1, 0, s)).toBe(true);
    expect(s.asked).toEqual(['0-0', '(1000-0', '(2000-0']);
  });
});
