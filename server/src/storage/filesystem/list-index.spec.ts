import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListIndex, readSorted } from './list-index.js';
import { FS_TMP_DIR } from './key-path.js';

describe('ListIndex', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sb-lidx-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('reads a directory once, in UTF-8 order with sub-directories as "name/", and never the temp dir', async () => {
    await mkdir(join(root, FS_TMP_DIR));
    await mkdir(join(root, 'd', 'sub'), { recursive: true });
    for (const n of ['b', '\ufffd', '😀', 'a-', 'a']) await writeFile(join(root, 'd', n), 'x');
    await writeFile(join(root, 'top'), 'x');
    expect(await readSorted(root, '')).toEqual(['d/', 'top']);
    const index = new ListIndex(root);
    expect([...(await index.names('d/'))]).toEqual(['a', 'a-', 'b', 'sub/', '\ufffd', '😀']);
    await index.names('d/');
    expect(index.stats).toMatchObject({ loads: 1, directories: 1, entries: 7 });
  });

  it('a missing directory is an empty set that later writes fill in', async () => {
    const index = new ListIndex(root);
    expect([...(await index.names('x/y/'))]).toEqual([]);
    await index.names('');
    index.noteAdded('x/y/k');
    expect([...(await index.names('x/y/'))]).toEqual(['k']);
    expect([...(await index.names(''))]).toEqual(['x/']); // parents noted too
    index.noteDeleted('x/y/k');
    expect([...(await index.names('x/y/'))]).toEqual([]);
    expect(index.stats.loads).toBe(2);
  });

  it('changes made while a directory loads are replayed on what readdir saw, whichever way the race went', async () => {
    for (let round = 0; round < 30; round++) {
      const dir = join(root, `r${round}`);
      await mkdir(dir);
      await writeFile(join(dir, 'old'), 'x');
      const index = new ListIndex(root);
      const loading = index.names(`r${round}/`); // marks the directory loading, readdir in flight
      writeFileSync(join(dir, 'new'), 'x');
      index.noteAdded(`r${round}/new`);
      unlinkSync(join(dir, 'old'));
      index.noteDeleted(`r${round}/old`);
      expect([...(await loading)]).toEqual(['new']);
      expect([...(await index.names(`r${round}/`))]).toEqual(['new']);
    }
  });

  it('drops the least recently listed directories over the bound and never keeps one larger than it', async () => {
    for (const d of ['a', 'b', 'c']) {
      await mkdir(join(root, d));
      for (let i = 0; i < 3; i++) await writeFile(join(root, d, `${i}`), 'x');
    }
    await mkdir(join(root, 'big'));
    for (let i = 0; i < 12; i++) await writeFile(join(root, 'big', `${i}`), 'x');
    const index = new ListIndex(root, 8); // each small directory weighs 3 names + 1
    await index.names('a/');
    await index.names('b/');
    expect(index.stats).toMatchObject({ directories: 2, entries: 8 });
    await index.names('c/'); // evicts a/
    expect(index.stats).toMatchObject({ loads: 3, directories: 2, entries: 8 });
    await index.names('b/');
    expect(index.stats.loads).toBe(3);
    await index.names('a/');
    expect(index.stats.loads).toBe(4);
    expect((await index.names('big/')).size).toBe(12); // served, not kept
    expect((await index.names('big/')).size).toBe(12);
    expect(index.stats).toMatchObject({ loads: 6, entries: 8 });
    index.noteAdded('b/3'); // growth past the bound evicts
    expect(index.stats.entries).toBeLessThanOrEqual(8);
  });

  it('a failed readdir is thrown and not remembered', async () => {
    await writeFile(join(root, 'f'), 'x');
    const index = new ListIndex(root);
    await expect(index.names('f\0/')).rejects.toThrow();
    expect(index.stats.directories).toBe(0);
  });
});
