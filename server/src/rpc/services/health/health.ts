/**
 * grpc.health.v1.Health: Check and Watch. Known services: '' (the whole
 * server), the registered API services, and one name per watched backend
 * subsystem (`smarterbase.storage`, `smarterbase.coordination`); others are
 * NOT_FOUND for Check and SERVICE_UNKNOWN for Watch.
 *
 * A subsystem's name is NOT_SERVING while its backend is unreachable (what
 * common/health-monitor.ts observes). '' and the API services are
 * NOT_SERVING while a readiness subsystem (storage: without it no call can
 * succeed) is down, and from the start of shutdown on. Coordination is not a
 * readiness subsystem: reads go on without Redis, and every replica shares
 * the same Redis, so pulling one out of rotation would not help.
 */
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import type { SubsystemHealth } from '../../../common/health-monitor.js';
import { type Health, HealthCheckResponse_ServingStatus as ServingStatus } from '../../../gen/grpc/health/v1/health_pb.js';

/** The health service name of a backend subsystem: `smarterbase.<subsystem>`. */
export function subsystemServiceName(subsystem: string): string {
  return `smarterbase.${subsystem}`;
}

/** Subsystems whose outage makes '' (and the API services) NOT_SERVING. */
export const READINESS_SUBSYSTEMS: readonly string[] = ['storage'];

/** The serving status of the server and of its backends, observed by Health. */
export class HealthState {
  private serving = true;
  private readonly listeners = new Set<() => void>();
  private readonly services: ReadonlySet<string>;
  private readonly subsystemOf = new Map<string, string>();

  /**
   * @param services fully-qualified names of the API services reported besides ''.
   * @param backends the watched subsystems (omit for none: then only shutdown changes the status).
   */
  constructor(
    services: readonly string[],
    private readonly backends?: SubsystemHealth,
  ) {
    this.services = new Set(['', ...services]);
    for (const s of backends?.subsystems ?? []) this.subsystemOf.set(subsystemServiceName(s), s);
    backends?.subscribe(() => this.notify());
  }

  /** True when `service` is '', a registered service or a subsystem's name. */
  isKnown(service: string): boolean {
    return this.services.has(service) || this.subsystemOf.has(service);
  }

  /** The status of `service` (a known name): NOT_SERVING once shutdown began or while its backend is down. */
  status(service = ''): ServingStatus {
    return this.serving && this.backendsUp(service) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  /** True until shutdown begins. */
  isServing(): boolean {
    return this.serving;
  }

  /** Marks every service NOT_SERVING (the start of shutdown) and tells watchers. */
  setNotServing(): void {
    if (!this.serving) return;
    this.serving = false;
    this.notify();
  }

  /** Calls `fn` on every status change (shutdown or a backend going down or up) until the returned function is called. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private backendsUp(service: string): boolean {
    if (this.backends === undefined) return true;
    const subsystem = this.subsystemOf.get(service);
    if (subsystem !== undefined) return this.backends.isUp(subsystem);
    return READINESS_SUBSYSTEMS.every((s) => !this.backends!.subsystems.includes(s) || this.backends!.isUp(s));
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

/**
 * Changes of a HealthState, counted from the moment this is created so that
 * none is lost while the consumer is busy (e.g. suspended in a yield).
 */
class ChangeFeed {
  private pending = false;
  private wake?: () => void;
  private readonly off: () => void;

  constructor(state: HealthState) {
    this.off = state.subscribe(() => {
      this.pending = true;
      this.wake?.();
    });
  }

  /** Resolves true once a change happened since the last call, false when `signal` aborts first. */
  next(signal: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const done = (changed: boolean): void => {
        this.wake = undefined;
        signal.removeEventListener('abort', onAbort);
        if (changed) this.pending = false;
        resolve(changed);
      };
      const onAbort = (): void => done(false);
      if (this.pending) return done(true);
      if (signal.aborted) return done(false);
      this.wake = () => done(true);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops listening. */
  close(): void {
    this.off();
  }
}

/** The Health service implementation over a HealthState. */
export function createHealthHandlers(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req) {
      if (!state.isKnown(req.service)) throw new ConnectError(`unknown service ${JSON.stringify(req.service)}`, Code.NotFound);
      return { status: state.status(req.service) };
    },
    async *watch(req, ctx) {
      if (!state.isKnown(req.service)) {
        yield { status: ServingStatus.SERVICE_UNKNOWN };
        await nextAbort(ctx.signal);
        return;
      }
      const changes = new ChangeFeed(state);
      try {
        let sent = state.status(req.service);
        yield { status: sent };
        // Send every change of this service's status; end once shutdown began (so that it can drain) or the caller left.
        while (state.isServing()) {
          if (!(await changes.next(ctx.signal))) return;
          const now = state.status(req.service);
          if (now !== sent) {
            sent = now;
            yield { status: now };
          }
        }
      } finally {
        changes.close();
      }
    },
  };
}

function nextAbort(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
