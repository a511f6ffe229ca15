import type { Filter } from '../model/filter.js';
import type { IndexInfo } from '../model/index-def.js';
import { notReadyServing } from './not-ready.js';
import { planQuery } from './planner.js';

const idx = (name: string, kind: IndexInfo['kind'], state: IndexInfo['state'], field: string): IndexInfo => ({
  collection: 'c',
  name,
  kind,
  fields: [field],
  state,
  documentsScanned: 0,
  createTime: new Date(0),
});
const eq = (field: string, value: string): Filter => ({ kind: 'field', field, op: 'eq', value });

describe('planner rule for indexes that are not READY', () => {
  it('never takes candidates from a BUILDING index: the plan scans, and the index is named as the one that would serve', () => {
    const indexes = [idx('by_status', 'equality', 'building', 'status')];
    const plan = planQuery(indexes, eq('status', 'on'), []);
    expect([plan.scan, plan.candidates, plan.indexesUsed]).toEqual([true, undefined, []]);
    expect(notReadyServing(indexes, eq('status', 'on'), [])).toEqual(['by_status']);
  });

  it('names a BUILDING ordered index that would order the results', () => {
    const indexes = [idx('by_n', 'ordered', 'building', 'n')];
    expect(notReadyServing(indexes, undefined, [{ field: 'n', direction: 'asc' }])).toEqual(['by_n']);
  });

  it('names nothing when a READY index serves the query, or when no index would', () => {
    const both = [idx('by_status', 'equality', 'ready', 'status'), idx('by_status2', 'equality', 'building', 'status')];
    expect(notReadyServing(both, eq('status', 'on'), [])).toEqual([]);
    expect(notReadyServing([idx('by_n', 'ordered', 'building', 'n')], eq('status', 'on'), [])).toEqual([]);
    expect(notReadyServing([idx('by_status', 'equality', 'failed', 'status')], eq('status', 'on'), [])).toEqual([]);
  });
});
