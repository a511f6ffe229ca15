import { decideReadVerification, ReadVerificationError } from './read-verification.js';

const probe = (md5Etags: boolean, digestMetadata: boolean, atomicReads: boolean) => ({ md5Etags, digestMetadata, atomicReads });

describe('decideReadVerification', () => {
  test('auto verifies by MD5 ETag first, else by the metadata digest, else not at all', () => {
    expect(decideReadVerification('auto', probe(true, true, true))).toEqual({ verify: true, etagsAreMd5: true, proof: 'md5-etag' });
    expect(decideReadVerification('auto', probe(false, true, false))).toEqual({ verify: true, etagsAreMd5: false, proof: 'digest' });
    expect(decideReadVerification('auto', probe(false, false, true))).toEqual({ verify: false, etagsAreMd5: false, proof: 'none' });
    expect(decideReadVerification('auto', undefined)).toEqual({ verify: false, etagsAreMd5: false, proof: 'none' });
  });

  test('auto refuses a store whose reads are torn and cannot be proven', () => {
    expect(() => decideReadVerification('auto', probe(false, false, false))).toThrow(ReadVerificationError);
  });

  test('on requires a proof', () => {
    expect(decideReadVerification('on', probe(false, true, true))).toMatchObject({ verify: true, proof: 'digest' });
    expect(() => decideReadVerification('on', probe(false, false, true))).toThrow(/SB_S3_VERIFY_READS=on/);
    expect(() => decideReadVerification('on', undefined)).toThrow(ReadVerificationError);
  });

  test('off never verifies, and is refused where the probe found torn reads', () => {
    expect(decideReadVerification('off', probe(true, true, true))).toEqual({ verify: false, etagsAreMd5: true, proof: 'none' });
    expect(decideReadVerification('off', undefined)).toMatchObject({ verify: false });
    expect(() => decideReadVerification('off', probe(true, true, false))).toThrow(/atomicReads failed/);
  });
});
