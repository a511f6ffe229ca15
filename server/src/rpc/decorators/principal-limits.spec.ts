import { Code, ConnectError, createClient, createRouterTransport, createContextKey } from '@connectrpc/connect';
import { ErrorInfoSchema, RetryInfoSchema } from '../../gen/google/rpc/error_details_pb.js';
import { Health, HealthCheckResponse_ServingStatus as S } from '../../gen/grpc/health/v1/health_pb.js';
import { LocalRateLimiter } from '../../limits/rate-limiter.js';
import { limitPrincipals, StreamSlots } from './principal-limits.js';
import { wrapErrors } from './wrap-errors.js';

/** The principal of a call: the test puts it in the request's `service` field through a header. */
const PRINCIPAL = createContextKey<string | undefined>(undefined);

describe('limitPrincipals', () => {
  let now = 0;
  const slots = new StreamSlots();
  const release: (() => void)[] = [];
  const impl = wrapErrors(
    Health,
    limitPrincipals(
      Health,
      {
        check: () => ({ status: S.SERVING }),
        async *watch() {
          const ended = new Promise<void>((r) => release.push(r));
          yield { status: S.SERVING };
          await ended;
        },
      },
      {
        principalOf: (ctx) => ctx.requestHeader.get('x-principal') ?? ctx.values.get(PRINCIPAL),
        limiter: new LocalRateLimiter(() => now),
        ruleOf: (p) => (p === 'slow' ? { ratePerSec: 1, burst: 2 } : undefined),
        maxStreamsOf: (p) => (p === 'slow' ? 1 : undefined),
      },
      slots,
    ),
  );
  const client = createClient(
    Health,
    createRouterTransport((r) => {
      r.service(Health, impl);
    }),
  );
  const as = (principal?: string) => (principal === undefined ? {} : { headers: { 'x-principal': principal } });

  test('a principal over its rate gets RESOURCE_EXHAUSTED / RATE_LIMITED with RetryInfo; others and anonymous calls pass', async () => {
    await client.check({}, as('slow'));
    await client.check({}, as('slow'));
    const err = await client.check({}, as('slow')).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((err as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe('RATE_LIMITED');
    expect((err as ConnectError).findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ principal: 'slow', ratePerSec: '1' });
    const delay = (err as ConnectError).findDetails(RetryInfoSchema)[0]?.retryDelay;
    expect(Number(delay?.seconds ?? 0) * 1000 + (delay?.nanos ?? 0) / 1e6).toBe(1000);
    for (let i = 0; i < 5; i++) await client.check({}, as('fast'));
    await client.check({}); // no principal: not limited here
    now += 1_000;
    await client.check({}, as('slow'));
  });

  test('streams: one slot per open stream of a principal, given back when the stream ends', async () => {
    now += 10_000;
    const first = client.watch({}, as('slow'))[Symbol.asyncIterator]();
    expect((await first.next()).value?.status).toBe(S.SERVING);
    expect(slots.count('slow')).toBe(1);
    const second = await (async () => {
      for await (const _ of client.watch({}, as('slow'))) void _;
    })().catch((e: unknown) => ConnectError.from(e));
    expect((second as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((second as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe('TOO_MANY_STREAMS');
    release.shift()!();
    expect((await first.next()).done).toBe(true);
    expect(slots.count('slow')).toBe(0);
    // A refused stream took no slot, and a refused rate gives its slot back.
    now += 10_000;
    const again = client.watch({}, as('slow'))[Symbol.asyncIterator]();
    expect((await again.next()).value?.status).toBe(S.SERVING);
    release.shift()!();
    await again.next();
    // Out of tokens: the stream is refused for its rate and keeps no slot.
    await client.check({}, as('slow')).catch(() => undefined);
    await client.check({}, as('slow')).catch(() => undefined);
    const limited = await (async () => {
      for await (const _ of client.watch({}, as('slow'))) void _;
    })().catch((e: unknown) => ConnectError.from(e));
    expect((limited as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe('RATE_LIMITED');
    expect(slots.count('slow')).toBe(0);
  });
});
