/** The ObjectStore conformance suite on the memory adapter (it holds whole objects, so no memory bound is measured). */
import { MemoryObjectStore } from '../../server/src/storage/objects/memory/memory-object-store.js';
import { describeObjectStore } from './object-store-conformance.js';

let store: MemoryObjectStore;
describeObjectStore({
  name: 'MemoryObjectStore',
  completionNative: true,
  setup: async () => (store = new MemoryObjectStore()),
  teardown: () => store.close(),
});
