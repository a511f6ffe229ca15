import type { TLSSocket } from 'node:tls';
import { refuseUnverifiedCertificate } from './client-auth.js';

function socket(authorized: boolean, cert: object): TLSSocket & { destroyed: boolean } {
  const s = { authorized, destroyed: false, getPeerCertificate: () => cert, destroy: () => void (s.destroyed = true) };
  return s as unknown as TLSSocket & { destroyed: boolean };
}

test('an unverified certificate ends the connection; a verified one or none does not', () => {
  const unverified = socket(false, { raw: Buffer.from('x') });
  expect(refuseUnverifiedCertificate(unverified)).toBe(true);
  expect(unverified.destroyed).toBe(true);
  const none = socket(false, {});
  expect(refuseUnverifiedCertificate(none)).toBe(false);
  expect(none.destroyed).toBe(false);
  const verified = socket(true, { raw: Buffer.from('x') });
  expect(refuseUnverifiedCertificate(verified)).toBe(false);
  expect(verified.destroyed).toBe(false);
});
