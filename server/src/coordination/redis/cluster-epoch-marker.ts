/**
 * The epoch marker of a Redis Cluster (docs/locks.md, "Redis Cluster"): one
 * marker key per hash slot (cluster-slots.ts), so that the lease grant script
 * reads the marker of its own slot, atomically with the grant.
 *
 * - Seeding a new epoch raises every slot's marker to it (16384 small
 *   scripts, only when an epoch starts). A raise never lowers a marker.
 * - A check reads one marker per master (the first slot it serves), plus any
 *   marker a grant found missing: a shard that restarted empty or failed over
 *   to a replica without the markers has lost all of its slots' markers, so
 *   one probe per master sees it. Any probe missing = a loss.
 * - A failover is a loss too: a check that finds a probe slot served by
 *   another master than at the previous check (a replica was promoted, or the
 *   slot was moved) reports the marker missing, because a replica may lag and
 *   lack the last grants. Each server detecting it starts a new epoch (so a
 *   failover may cost a few epochs, one per server that saw it).
 * - A grant whose slot marker is missing refuses (the shard lost its data,
 *   or seeding never finished): the coordinator reports the key with
 *   `suspect`, the next check reads it, finds it missing and starts a new
 *   epoch. A marker below the granting server's epoch (a seeding that did not
 *   finish) is raised by the grant itself, which is safe: that epoch is
 *   durable and above every earlier one.
 */
import type { Cluster } from 'ioredis';
import { SLOT_COUNT, slotMarkerKey } from './cluster-slots.js';
import { redisUnavailable } from './redis-connection.js';
import type { EpochMarker } from './redis-epoch.js';

/** KEYS: marker. ARGV: epoch. Sets the marker to epoch when it is missing or lower. */
export const EPOCH_RAISE_SCRIPT = `
local m = tonumber(redis.call('GET', KEYS[1]))
if m == nil or m < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
`;

/** Raises run concurrently, this many at a time. */
const RAISE_BATCH = 512;

/** How the marker sends its commands (through the coordinator's guard and error mapping). */
export type MarkerRunner = <T>(op: string, send: () => Promise<T>) => Promise<T>;

/** The scripted command the coordinator defines on its connection. */
interface RaisingCluster {
  sbEpochRaise(marker: string, epoch: string): Promise<number>;
}

/** The per-slot epoch markers of one key prefix on a cluster (see the file comment). */
export class ClusterEpochMarker implements EpochMarker {
  private readonly suspects = new Set<string>();
  /** The master id serving each probe slot at the last check. */
  private masters = new Map<number, string>();

  constructor(
    private readonly cluster: Cluster,
    private readonly prefix: string,
    private readonly run: MarkerRunner,
  ) {}

  /** Has the next get() also read `markerKey` (a grant found it missing). */
  suspect(markerKey: string): void {
    this.suspects.add(markerKey);
  }

  /** The highest epoch of the probes, or undefined when any probe is missing (a loss). */
  async get(): Promise<number | undefined> {
    const probes = await this.probeSlots();
    if (probes.size === 0) throw redisUnavailable('the Redis Cluster serves no slots');
    const keys = [...Array.from(probes.keys(), (s) => slotMarkerKey(this.prefix, s)), ...this.suspects];
    const values = await this.run('epoch.get', () => Promise.all(keys.map((k) => this.cluster.get(k))));
    const failedOver = Array.from(probes).some(([slot, id]) => (this.masters.get(slot) ?? id) !== id);
    this.masters = probes;
    if (failedOver || values.some((v) => v === null)) return undefined;
    for (const k of keys) this.suspects.delete(k);
    return Math.max(...values.map(Number));
  }

  /** Raises every slot's marker to `epoch` (missing ones included); true when done. */
  async setIfMissing(epoch: number): Promise<boolean> {
    const raising = this.cluster as unknown as RaisingCluster;
    for (let from = 0; from < SLOT_COUNT; from += RAISE_BATCH) {
      const slots = Array.from({ length: Math.min(RAISE_BATCH, SLOT_COUNT - from) }, (_, i) => from + i);
      await this.run('epoch.raise', () =>
        Promise.all(slots.map((s) => raising.sbEpochRaise(slotMarkerKey(this.prefix, s), String(epoch)))),
      );
    }
    return true;
  }

  /** The first slot of each master's ranges (CLUSTER SLOTS), one per master, with that master's node id. */
  private async probeSlots(): Promise<Map<number, string>> {
    const ranges = await this.run(
      'epoch.slots',
      () => this.cluster.call('CLUSTER', 'SLOTS') as Promise<[number, number, [string, number, string?]][]>,
    );
    const byMaster = new Map<string, number>();
    for (const [from, , [host, port, id]] of ranges) {
      const node = id ?? `${host}:${port}`;
      byMaster.set(node, Math.min(byMaster.get(node) ?? from, from));
    }
    return new Map(Array.from(byMaster, ([node, slot]) => [slot, node]));
  }
}
