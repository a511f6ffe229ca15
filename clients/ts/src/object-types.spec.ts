import { Code } from '@connectrpc/connect';
import { SmarterBaseError } from './errors.js';
import { fromProtoObject, uploadHeader } from './object-types.js';

describe('uploadHeader', () => {
  it('maps the options to the header and its precondition', () => {
    const h = uploadHeader('c', 'x', { createOnly: true, contentType: 'text/plain', metadata: { k: 'v' }, expectedSize: 5 });
    expect(h).toEqual({
      collection: 'c',
      id: 'x',
      precondition: { condition: { case: 'exists', value: false } },
      contentType: 'text/plain',
      metadata: { k: 'v' },
      expectedSize: 5n,
      expectedSha256: '',
    });
    expect(uploadHeader('c', 'x', { ifMatch: 'e1' }).precondition).toEqual({ condition: { case: 'etag', value: 'e1' } });
    expect(uploadHeader('c', 'x', { mustExist: true }).precondition).toEqual({ condition: { case: 'exists', value: true } });
    expect(uploadHeader('c', 'x', {}).precondition).toBeUndefined();
  });

  it('refuses two preconditions', () => {
    expect(() => uploadHeader('c', 'x', { createOnly: true, ifMatch: 'e1' })).toThrow(TypeError);
  });
});

describe('fromProtoObject', () => {
  it('fails INTERNAL when the server sent no metadata', () => {
    const err = (() => {
      try {
        fromProtoObject(undefined);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SmarterBaseError);
    expect((err as SmarterBaseError).code).toBe(Code.Internal);
  });
});
