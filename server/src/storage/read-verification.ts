/**
 * Whether S3 reads are verified (storage/verified-reads.ts), decided at
 * start-up from SB_S3_VERIFY_READS and the probe's read checks
 * (docs/adr/0007-reads-that-prove-their-version.md).
 */
import type { ReadProof } from './verified-reads.js';

/** SB_S3_VERIFY_READS. */
export type VerifyReadsMode = 'auto' | 'on' | 'off';

/** What the probe found about reads (ProbeResult's read checks); undefined when no probe ran. */
export interface ReadProbe {
  readonly md5Etags: boolean;
  readonly digestMetadata: boolean;
  readonly atomicReads: boolean;
}

/** The decision. */
export interface ReadVerification {
  /** Wrap the store in VerifiedReadsStore. */
  readonly verify: boolean;
  /** The probe found MD5 ETags (VerifiedReadsOptions.etagsAreMd5). */
  readonly etagsAreMd5: boolean;
  /** The proof reads will carry (for the log): by MD5 ETag, by the metadata digest, or none. */
  readonly proof: ReadProof;
}

/** Thrown when the configuration cannot serve this store safely: start-up must fail with its message. */
export class ReadVerificationError extends Error {
  override readonly name = 'ReadVerificationError';
}

/**
 * off: no verification, but refused when the probe found non-atomic reads.
 * on: verification, refused when the probe found no proof (or did not run).
 * auto: verification whenever a proof exists; refused when reads are not
 * atomic and nothing can prove them.
 */
export function decideReadVerification(mode: VerifyReadsMode, probe: ReadProbe | undefined): ReadVerification {
  const etagsAreMd5 = probe?.md5Etags === true;
  const proof: ReadProof = etagsAreMd5 ? 'md5-etag' : probe?.digestMetadata === true ? 'digest' : 'none';
  const torn = probe !== undefined && !probe.atomicReads;
  if (mode === 'off') {
    if (torn) {
      throw new ReadVerificationError(
        "SB_S3_VERIFY_READS=off, but the start-up probe found that this S3 endpoint returns bodies with another version's ETag under concurrent writes (atomicReads failed): conditional writes would lose updates. Use SB_S3_VERIFY_READS=auto (the default).",
      );
    }
    return { verify: false, etagsAreMd5, proof: 'none' };
  }
  if (proof === 'none' && (mode === 'on' || torn)) {
    throw new ReadVerificationError(
      torn
        ? "the start-up probe found that this S3 endpoint returns bodies with another version's ETag under concurrent writes (atomicReads failed), and it returns neither MD5 ETags nor the sb-md5 metadata digest to detect it: refusing to serve it"
        : 'SB_S3_VERIFY_READS=on, but the start-up probe found neither MD5 ETags nor the sb-md5 metadata digest on this S3 endpoint (or no probe ran): nothing can prove a read',
    );
  }
  return { verify: proof !== 'none', etagsAreMd5, proof };
}
