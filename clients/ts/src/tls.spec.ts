import { apiKeyInterceptor, tlsNodeOptions } from './tls.js';

test('tlsNodeOptions maps the PEM fields and serverName; true means system CAs only', () => {
  expect(tlsNodeOptions(true)).toEqual({});
  expect(tlsNodeOptions({ ca: 'CA', cert: 'C', key: 'K', serverName: 'db' })).toEqual({ ca: 'CA', cert: 'C', key: 'K', servername: 'db' });
  expect(() => tlsNodeOptions({ key: 'K' })).toThrow('tls.cert and tls.key go together');
});

test('apiKeyInterceptor sets authorization: Bearer <key> and passes the request on', async () => {
  const header = new Headers();
  const next = jest.fn(async (req: unknown) => req);
  const req = { header };
  await apiKeyInterceptor('k1')(next as never)(req as never);
  expect(header.get('authorization')).toBe('Bearer k1');
  expect(next).toHaveBeenCalledWith(req);
  expect(() => apiKeyInterceptor('a\nb')).toThrow('single line');
  expect(() => apiKeyInterceptor('')).toThrow('non-empty');
});
