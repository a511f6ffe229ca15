/**
 * Looks into a test S3 bucket from outside the server: the keys under a
 * prefix and the multipart uploads still open (what an object test must find
 * gone after a failed or lost upload), and writes a raw object (debris a
 * crashed server could have left).
 */
import { ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3TestServer } from './s3-server.js';

/** A raw SDK view of `s3`'s bucket. */
export class BucketView {
  private readonly client: S3Client;

  constructor(private readonly s3: S3TestServer) {
    this.client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Every key under `prefix`, sorted. */
  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.s3.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of res.Contents ?? []) out.push(o.Key!);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort();
  }

  /** The keys of the multipart uploads open under `prefix`. */
  async openUploads(prefix: string): Promise<string[]> {
    try {
      const res = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.s3.bucket, Prefix: prefix }));
      return (res.Uploads ?? []).map((u) => u.Key!).sort();
    } catch (e) {
      // gofakes3 v1.2.0 answers NoSuchUpload for a bucket where no multipart upload was ever started.
      if ((e as { name?: string }).name === 'NoSuchUpload') return [];
      throw e;
    }
  }

  /** Writes `key` directly, past the server. */
  async put(key: string, body: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.s3.bucket, Key: key, Body: body }));
  }

  close(): void {
    this.client.destroy();
  }
}
