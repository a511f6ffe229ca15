import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from './feed-test-kit.js';
import { fsyncDir, writeFileAtomic } from './fs-sync.js';

describe('fs-sync', () => {
  it('replaces a file atomically, leaving no temp file', async () => {
    const tmp = await tempDir();
    try {
      const path = join(tmp.dir, 'meta.json');
      await writeFile(path, 'old');
      await writeFileAtomic(path, 'new');
      expect(await readFile(path, 'utf8')).toBe('new');
      expect(await readdir(tmp.dir)).toEqual(['meta.json']);
      await expect(fsyncDir(tmp.dir)).resolves.toBeUndefined();
      await expect(fsyncDir(join(tmp.dir, 'missing'))).rejects.toThrow(/ENOENT/);
    } finally {
      await tmp.remove();
    }
  });
});
