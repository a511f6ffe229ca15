/**
 * A test double of the ioredis client for the shared expiry schedule's specs:
 * answers EVALSHA of each script with what the test queued for it (or a
 * default), records every call, and can answer NOSCRIPT once. The scripts'
 * own behaviour is tested on a real Redis (test/ttl/redis-expiry.test.ts).
 */
import type { RedisClient } from '../../coordination/redis/redis-connection.js';
import { EXPIRY_SCRIPTS } from './redis-expiry-scripts.js';

/** One recorded call: the script name (or command) with its keys and arguments. */
export interface FakeCall {
  readonly op: string;
  readonly args: readonly (string | number)[];
}

/** The fake client (see the file comment). */
export class FakeScheduleRedis {
  readonly calls: FakeCall[] = [];
  /** Replies to give per script name, in order; when empty, `defaults`. */
  readonly replies = new Map<string, unknown[]>();
  readonly defaults: Record<string, unknown> = { 'ttl.read_registry': [1], 'ttl.claim': [1], 'ttl.confirm_rebuild': 1 };
  /** Answer the next EVALSHA with NOSCRIPT. */
  noScriptOnce = false;

  /** The fake as the client type the schedule takes. */
  client(): RedisClient {
    return this as unknown as RedisClient;
  }

  queue(script: string, ...replies: unknown[]): void {
    this.replies.set(script, [...(this.replies.get(script) ?? []), ...replies]);
  }

  ops(): string[] {
    return this.calls.map((c) => c.op);
  }

  evalsha(sha: string, _n: number, ...args: (string | number)[]): Promise<unknown> {
    const name = Object.values(EXPIRY_SCRIPTS).find((s) => s.sha === sha)!.name;
    if (this.noScriptOnce) {
      this.noScriptOnce = false;
      this.calls.push({ op: name, args });
      return Promise.reject(new Error('NOSCRIPT No matching script'));
    }
    return Promise.resolve(this.answer(name, args));
  }

  eval(lua: string, _n: number, ...args: (string | number)[]): Promise<unknown> {
    const name = Object.values(EXPIRY_SCRIPTS).find((s) => s.lua === lua)!.name;
    return Promise.resolve(this.answer(`${name}`, args, 'eval '));
  }

  zadd(...args: (string | number)[]): Promise<number> {
    this.calls.push({ op: 'zadd', args });
    return Promise.resolve(1);
  }

  disconnect(): void {
    this.calls.push({ op: 'disconnect', args: [] });
  }

  private answer(name: string, args: (string | number)[], how = ''): unknown {
    this.calls.push({ op: `${how}${name}`, args });
    const queued = this.replies.get(name);
    if (queued !== undefined && queued.length > 0) return queued.shift();
    return this.defaults[name] ?? 1;
  }
}
