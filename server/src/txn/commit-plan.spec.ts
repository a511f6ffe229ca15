import type { TxnWrite } from '../api/document-api.js';
import { MAX_ECHOED_ETAG_CHARS, preconditionViolations } from './commit-plan.js';

describe('preconditionViolations', () => {
  const check = (etag: string): TxnWrite => ({ collection: 'c', id: 'a', op: 'check', precondition: { etag } });

  test('an etag mismatch names the current etag and the one the client sent', () => {
    expect(preconditionViolations([check('old')], [{ etag: 'new' }])).toEqual([
      { type: 'ETAG', subject: 'writes[0]', description: 'c/a has etag new, not old' },
    ]);
  });

  test('a client etag longer than MAX_ECHOED_ETAG_CHARS is cut in the description', () => {
    const sent = '\u6f22'.repeat(1000);
    const [v] = preconditionViolations([check(sent)], [{ etag: 'new' }]);
    expect(v?.description).toBe(`c/a has etag new, not ${sent.slice(0, MAX_ECHOED_ETAG_CHARS)}… (1000 chars)`);
  });
});
