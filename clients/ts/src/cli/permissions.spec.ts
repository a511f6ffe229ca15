import { Verb } from '../gen/smarterbase/v1/access_pb';
import { parsePermission } from './permissions';

it('parses VERBS:RESOURCES into one Permission', () => {
  expect(parsePermission('read,write:collections=users,orders*')).toEqual({
    verbs: [Verb.READ, Verb.WRITE],
    collections: ['users', 'orders*'],
    locks: [],
    logs: [],
    accessControl: false,
  });
  expect(parsePermission('lock:locks=*;logs=audit*')).toMatchObject({ verbs: [Verb.LOCK], locks: ['*'], logs: ['audit*'] });
  expect(parsePermission('ADMIN:access')).toMatchObject({ verbs: [Verb.ADMIN], accessControl: true });
});

it('names what is wrong in a bad spec', () => {
  expect(() => parsePermission('collections=users')).toThrow('write VERBS:RESOURCES');
  expect(() => parsePermission('fly:collections=x')).toThrow('unknown verb "fly"');
  expect(() => parsePermission('read:tables=x')).toThrow('resources are collections=…, locks=…, logs=… or access (got "tables=x")');
});
