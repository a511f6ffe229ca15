/**
 * Server-side encryption of S3 writes (SB_S3_SSE, SB_S3_SSE_KMS_KEY_ID;
 * docs/adr/0016): the parameters every PutObject, CreateMultipartUpload and
 * CopyObject of both S3 clients (documents, object data) carries. S3 then
 * encrypts with keys it holds; reads need no parameter.
 */

/** What SSE to ask for. */
export interface SseOptions {
  /** 'AES256' (SSE-S3) or 'aws:kms' (SSE-KMS); unset = the bucket default, nothing sent. */
  readonly mode?: 'AES256' | 'aws:kms';
  /** With 'aws:kms': the KMS key id or ARN; unset = the account's aws/s3 key. */
  readonly kmsKeyId?: string;
}

/** The command input fields of `sse` (spread into the command's input); empty when off. */
export function sseParams(sse: SseOptions | undefined): { ServerSideEncryption?: 'AES256' | 'aws:kms'; SSEKMSKeyId?: string } {
  if (sse?.mode === undefined) return {};
  return {
    ServerSideEncryption: sse.mode,
    ...(sse.mode === 'aws:kms' && sse.kmsKeyId !== undefined ? { SSEKMSKeyId: sse.kmsKeyId } : {}),
  };
}
