/**
 * grpc.health.v1.Health: Check and Watch. The server is SERVING until
 * shutdown begins, then NOT_SERVING. Known services: '' (the whole server)
 * and the ones registered; others are NOT_FOUND for Check and
 * SERVICE_UNKNOWN for Watch.
 */
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '../gen/grpc/health/v1/health_pb.js';

/** The serving status of the server, observed by Health. */
export class HealthState {
  private serving = true;
  private readonly listeners = new Set<() => void>();
  private readonly known: ReadonlySet<string>;

  /** @param services fully-qualified names of the services reported healthy besides ''. */
  constructor(services: readonly string[]) {
    this.known = new Set(['', ...services]);
  }

  /** True when `service` is '' or a registered service. */
  isKnown(service: string): boolean {
    return this.known.has(service);
  }

  /** SERVING, or NOT_SERVING once shutdown began. */
  status(): ServingStatus {
    return this.serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  /** True until shutdown begins. */
  isServing(): boolean {
    return this.serving;
  }

  /** Marks every service NOT_SERVING (the start of shutdown) and tells watchers. */
  setNotServing(): void {
    if (!this.serving) return;
    this.serving = false;
    for (const l of [...this.listeners]) l();
  }

  /** Calls `fn` on every status change until the returned function is called. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The Health service implementation over a HealthState. */
export function createHealthHandlers(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req) {
      if (!state.isKnown(req.service)) throw new ConnectError(`unknown service ${JSON.stringify(req.service)}`, Code.NotFound);
      return { status: state.status() };
    },
    async *watch(req, ctx) {
      if (!state.isKnown(req.service)) {
        yield { status: ServingStatus.SERVICE_UNKNOWN };
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        return;
      }
      yield { status: state.status() };
      if (!state.isServing()) return;
      // Wait for the switch to NOT_SERVING (send it, then end so that shutdown can drain) or for the caller to leave.
      const changed = await new Promise<boolean>((resolve) => {
        const off = state.subscribe(() => { off(); resolve(true); });
        ctx.signal.addEventListener('abort', () => { off(); resolve(false); }, { once: true });
      });
      if (changed) yield { status: state.status() };
    },
  };
}
