import { ManualClock } from '../common/manual-clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { AccessCache } from './access-cache.js';
import { AccessStore } from './access-store.js';
import { Authenticator } from './authenticator.js';
import { ensureBootstrapKey } from './bootstrap-key.js';

const TOKEN = `sbk_00112233aabbccdd_${'Q'.repeat(43)}`;

describe('ensureBootstrapKey', () => {
  test('stores the key for principal bootstrap with role admin, once; a revoked one stays revoked', async () => {
    const clock = new ManualClock({ startMs: 1000 });
    const store = new AccessStore(new MemoryBlobStore());
    expect(await ensureBootstrapKey(store, `${TOKEN}\n`, clock)).toBe('created');
    expect(await ensureBootstrapKey(store, TOKEN, clock)).toBe('exists');
    const caller = await new Authenticator(new AccessCache({ store, clock, maxAgeMs: 1 }), clock).authenticate({
      authorization: `Bearer ${TOKEN}`,
    });
    expect(caller.principal).toBe('bootstrap');
    expect(caller.roles.map((r) => r.name)).toEqual(['admin']);
    await store.revokeKey('00112233aabbccdd');
    expect(await ensureBootstrapKey(store, TOKEN, clock)).toBe('revoked');
    expect((await store.getKey('00112233aabbccdd'))?.revoked).toBe(true);
  });

  test('a file without a key string fails start-up', async () => {
    await expect(ensureBootstrapKey(new AccessStore(new MemoryBlobStore()), 'secret', new ManualClock())).rejects.toThrow(
      /bootstrap key file/,
    );
  });
});
