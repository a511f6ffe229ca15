/**
 * The bare Redis Streams path the Redis change feed is compared with (issue
 * 12's benchmark): sequential `XADD`s of a ~1 KiB entry by one ioredis
 * connection, received by `readers` ioredis connections each looping on
 * `XREAD BLOCK`; latency = XADD acknowledged → entry received by a reader
 * (negative when the reader gets it first), and XADD sent → received. No
 * SmarterBase code involved.
 */
import Redis from 'ioredis';

/** Latencies (ms) of every (entry, reader) pair, from the XADD's reply and from its sending, and how many entries a reader never got. */
export interface XreadSample {
  readonly latenciesMs: number[];
  readonly fromSendMs: number[];
  readonly missing: number;
}

/** Runs `events` XADDs to a fresh stream key with `readers` blocking readers; see the file comment. */
export async function xreadLatency(url: string, readers: number, events: number): Promise<XreadSample> {
  const key = `bench:xread:${readers}:${Date.now()}`;
  const writer = new Redis(url);
  const conns = Array.from({ length: readers }, () => new Redis(url));
  const received = conns.map(() => new Map<string, number>());
  let stopping = false;
  const loops = conns.map(async (conn, r) => {
    let last = '0-0';
    while (!stopping) {
      const res = (await conn.xread('COUNT', 512, 'BLOCK', 200, 'STREAMS', key, last)) as [string, [string, string[]][]][] | null;
      const now = performance.now();
      for (const [, entries] of res ?? [])
        for (const [id] of entries) {
          received[r]!.set(id, now);
          last = id;
        }
    }
  });
  try {
    await new Promise((r) => setTimeout(r, 100)); // every reader is blocked before the first XADD
    const acks = new Map<string, { sent: number; ack: number }>();
    const pad = 'x'.repeat(900);
    for (let i = 0; i < events; i++) {
      const sent = performance.now();
      const id = (await writer.xadd(key, '*', 'e', JSON.stringify({ i, pad })))!;
      acks.set(id, { sent, ack: performance.now() });
    }
    await new Promise((r) => setTimeout(r, 300)); // the last entries reach every reader
    stopping = true;
    await Promise.all(loops);
    const latenciesMs: number[] = [];
    const fromSendMs: number[] = [];
    let missing = 0;
    for (const got of received)
      for (const [id, { sent, ack }] of acks) {
        const at = got.get(id);
        if (at === undefined) missing++;
        else {
          latenciesMs.push(at - ack);
          fromSendMs.push(at - sent);
        }
      }
    await writer.del(key);
    return { latenciesMs, fromSendMs, missing };
  } finally {
    stopping = true;
    writer.disconnect();
    for (const c of conns) c.disconnect();
  }
}
