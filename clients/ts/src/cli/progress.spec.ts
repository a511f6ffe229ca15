import { createProgress, formatBytes, summaryLine } from './progress';

it('formatBytes uses binary units with one decimal', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(1023)).toBe('1023 B');
  expect(formatBytes(1536)).toBe('1.5 KiB');
  expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
});

it('summaryLine gives documents, bytes, time and rates, with skipped and failed when there are any', () => {
  expect(summaryLine('exported', { documents: 1000, bytes: 2048, elapsedMs: 2000 })).toBe(
    'exported 1000 documents, 2.0 KiB in 2.0 s: 500 documents/s, 1.0 KiB/s',
  );
  expect(summaryLine('imported', { documents: 2, skipped: 8, failed: 1, bytes: 100, elapsedMs: 1000 })).toBe(
    'imported 2 documents (8 skipped as identical, 1 failed), 100 B in 1.0 s: 10 documents/s, 100 B/s',
  );
});

it('a hidden progress bar does nothing', () => {
  const p = createProgress('x', false);
  p.setTotal(10);
  p.update(5, 10);
  p.stop();
});
