import { checksumMismatch, objectTooLarge, offsetMismatch, uploadBusy, uploadFinished, uploadNotFound } from './upload-errors.js';

describe('resumable upload errors', () => {
  it('carry the contract reasons, kinds and metadata', () => {
    expect(uploadNotFound('u')).toMatchObject({ kind: 'not_found', reason: 'UPLOAD_NOT_FOUND', metadata: { uploadId: 'u' } });
    expect(offsetMismatch('u', 10, 4)).toMatchObject({
      kind: 'failed_precondition',
      reason: 'UPLOAD_OFFSET_MISMATCH',
      metadata: { uploadId: 'u', writeOffset: '10', committedSize: '4' },
    });
    expect(uploadFinished('u', 'completed')).toMatchObject({
      kind: 'failed_precondition',
      reason: 'UPLOAD_FINISHED',
      metadata: { state: 'completed' },
    });
    expect(uploadBusy('u', 0)).toMatchObject({ kind: 'aborted', reason: 'UPLOAD_BUSY', retryDelayMs: 1 });
    expect(checksumMismatch('expected_size', '3', '4')).toMatchObject({
      kind: 'invalid',
      reason: 'CHECKSUM_MISMATCH',
      field: 'expected_size',
      metadata: { field: 'expected_size', expected: '3', actual: '4' },
    });
    expect(objectTooLarge(11, 10)).toMatchObject({
      kind: 'invalid',
      reason: 'OBJECT_TOO_LARGE',
      metadata: { sizeBytes: '11', limitBytes: '10' },
    });
  });
});
