import { diffCounts, labelValue, sumByLabel } from './metrics-labels.js';

const TEXT = [
  '# HELP smarterbase_storage_operations_total BlobStore operations finished',
  '# TYPE smarterbase_storage_operations_total counter',
  'smarterbase_storage_operations_total{op="get",outcome="ok",backend="s3"} 10',
  'smarterbase_storage_operations_total{op="get",outcome="not_found",backend="s3"} 2',
  'smarterbase_storage_operations_total{backend="s3",op="put",outcome="ok"} 7 1700000000000',
  'smarterbase_storage_operations_total 1',
  'smarterbase_storage_operations_total_created{op="get"} 99',
  'smarterbase_rpc_server_calls_total{op="get"} 500',
].join('\n');

describe('sumByLabel', () => {
  it('sums one counter per value of a label, whatever the label order, ignoring a trailing timestamp', () => {
    expect(sumByLabel(TEXT, 'smarterbase_storage_operations_total', 'op')).toEqual({ get: 12, put: 7, '': 1 });
    expect(sumByLabel(TEXT, 'smarterbase_storage_operations_total', 'outcome')).toEqual({ ok: 17, not_found: 2, '': 1 });
  });

  it('gives an empty record for a metric that is absent', () => {
    expect(sumByLabel(TEXT, 'smarterbase_nothing_total', 'op')).toEqual({});
  });
});

describe('labelValue', () => {
  it('finds a label and unescapes its value', () => {
    expect(labelValue('a="1",b="x\\"y"', 'b')).toBe('x"y');
    expect(labelValue('a="1"', 'b')).toBeUndefined();
  });
});

describe('diffCounts', () => {
  it('subtracts per key, counting missing keys from 0 and dropping zeros', () => {
    expect(diffCounts({ get: 5, put: 3, list: 1 }, { get: 15, put: 3, list: 1, delete: 2 })).toEqual({ get: 10, delete: 2 });
  });
});
