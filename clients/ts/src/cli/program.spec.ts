import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bashCompletion, completionTable } from './completion';
import { parseOrder } from './commands/query';
import { logRecord } from './commands/logs';
import { watchRecords } from './commands/watch';
import type { WatchBatch, WatchChange } from '../watch';
import { buildProgram, CLI_VERSION } from './program';

it('the CLI version is the client package version', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
    bin: Record<string, string>;
  };
  expect(CLI_VERSION).toBe(pkg.version);
  expect(pkg.bin.smarterbase).toBe('dist/cli/main.js');
});

it('every command the brief lists is registered', () => {
  const table = completionTable(buildProgram());
  for (const c of ['get', 'put', 'delete', 'list', 'query', 'count', 'explain', 'export', 'import', 'watch', 'health', 'completion']) {
    expect(table.get('')).toContain(c);
  }
  expect(table.get('index')).toEqual(['create', 'list', 'get', 'drop']);
  expect(table.get('lock')).toEqual(['list', 'get', 'release']);
  expect(table.get('object')).toEqual(['put', 'get', 'ls', 'rm']);
  expect(table.get('log')).toEqual(['append', 'read', 'follow']);
  expect(table.get('key')).toEqual(['create', 'list', 'revoke']);
  expect(table.get('role')).toEqual(['put', 'get', 'list', 'delete']);
  expect(table.get('principal')).toEqual(['set', 'get', 'list']);
  expect(table.get('import')).toEqual(expect.arrayContaining(['--resume', '--addr', '--json']));
  expect(bashCompletion(buildProgram())).toContain('complete -o default -F _smarterbase_complete smarterbase');
});

it('parseOrder reads "f", "-f", "f desc" and lists', () => {
  expect(parseOrder('age')).toEqual([{ field: 'age', direction: 'asc' }]);
  expect(parseOrder('-age, name desc,x asc')).toEqual([
    { field: 'age', direction: 'desc' },
    { field: 'name', direction: 'desc' },
    { field: 'x', direction: 'asc' },
  ]);
  expect(parseOrder(undefined)).toBeUndefined();
  expect(() => parseOrder('a b c')).toThrow('--order: cannot read "a b c"');
  expect(() => parseOrder('a,b,c,d,e,f,g,h,i')).toThrow('at most 8 keys');
});

it('logRecord keeps the line as its JSON value', () => {
  expect(logRecord({ sequence: 7n, line: '{"a":[1]}', appendTime: new Date(0) })).toBe(
    '{"sequence":"7","appendTime":"1970-01-01T00:00:00.000Z","line":{"a":[1]}}\n',
  );
  expect(JSON.parse(logRecord({ sequence: 1n, line: '"x"', appendTime: undefined }))).toEqual({ sequence: '1', line: 'x' });
});

it('watchRecords: one record per change, progress only when asked', () => {
  const progress: WatchBatch = {
    kind: 'progress',
    revision: 5n,
    progress: true,
    changes: [],
    transactionId: '',
    commitTime: undefined,
    documents: [],
  };
  expect(watchRecords(progress, false)).toEqual([]);
  expect(watchRecords(progress, true)).toEqual([{ type: 'progress', revision: 5n }]);
  const change: WatchChange = {
    type: 'delete',
    id: 'a',
    document: undefined,
    revision: 6n,
    previousRevision: 5n,
    previousDocument: undefined,
    previousUnavailable: false,
  };
  const batch: WatchBatch = {
    kind: 'changes',
    revision: 6n,
    progress: false,
    changes: [change],
    transactionId: 't1',
    commitTime: undefined,
    documents: [],
  };
  expect(watchRecords(batch, false)).toEqual([{ type: 'delete', id: 'a', revision: 6n, transactionId: 't1' }]);
});
