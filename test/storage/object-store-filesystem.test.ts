/** The ObjectStore conformance suite on the filesystem adapter, each test on a fresh root, with the 200 MB memory bound. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemObjectStore } from '../../server/src/storage/objects/filesystem/filesystem-object-store.js';
import { describeObjectStore } from './object-store-conformance.js';

let tempRoot: string;
let n = 0;
let store: FilesystemObjectStore;
beforeAll(async () => {
  tempRoot = await mkdtemp(join(tmpdir(), 'sb-objfs-'));
});
afterAll(() => rm(tempRoot, { recursive: true, force: true }));

describeObjectStore({
  name: 'FilesystemObjectStore',
  measureMemory: true,
  completionNative: true,
  setup: async () => (store = await FilesystemObjectStore.open({ root: join(tempRoot, `r${n++}`) })),
  teardown: async () => {
    await store.close();
    await rm(store.root, { recursive: true, force: true });
  },
});
