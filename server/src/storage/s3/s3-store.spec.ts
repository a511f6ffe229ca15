import { S3BlobStore } from './s3-store.js';

// Behaviour against real servers is in test/storage/s3-store.test.ts and the conformance suite.
describe('S3BlobStore configuration', () => {
  it('defaults: region us-east-1, 3 attempts, SDK default checksums on AWS', async () => {
    const store = new S3BlobStore({ bucket: 'b', accessKeyId: 'a', secretAccessKey: 's' });
    const config = store.client.config;
    expect(await config.region()).toBe('us-east-1');
    expect(await config.maxAttempts()).toBe(3);
    expect(await config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
    await store.close();
  });

  it('a custom endpoint gets path style options and WHEN_REQUIRED checksums; static credentials are used', async () => {
    const store = new S3BlobStore({
      bucket: 'b',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      region: 'eu-west-3',
      maxAttempts: 5,
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
    });
    const config = store.client.config;
    expect(await config.region()).toBe('eu-west-3');
    expect(await config.maxAttempts()).toBe(5);
    expect(config.forcePathStyle).toBe(true);
    expect(await config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(await config.credentials()).toMatchObject({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    await store.close();
  });
});
