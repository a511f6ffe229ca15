/**
 * A service descriptor and its implementation with their types kept
 * together, so that a list of different services can be mounted on both
 * servers without casts: a mount never sees the pair apart, it hands a
 * generic function to `with` and receives `ServiceImpl<S>` for the very `S`
 * of the service (connect's router.service and grpc-mount's mountGrpc are
 * generic in the same way).
 */
import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';

/** Receives a service and its implementation, typed together. */
export type ServiceUser<R> = <S extends DescService>(service: S, impl: ServiceImpl<S>) => R;

/** A service with its implementation. */
export interface TypedService {
  /** The service's descriptor (its name for health and reflection). */
  readonly service: DescService;
  /** Calls `use` with the descriptor and the implementation. */
  with<R>(use: ServiceUser<R>): R;
  /**
   * True when the HTTP port must not compress this service's responses even if
   * the client accepts gzip: ObjectService's bytes are mostly compressed already,
   * and gzip of its 1 MiB messages cut Connect downloads from ~130 to ~20 MB/s.
   */
  readonly incompressible?: boolean;
}

/** `impl` as the TypedService of `service` (see TypedService.incompressible). */
export function typedService<S extends DescService>(
  service: S,
  impl: ServiceImpl<S>,
  opts: { incompressible?: boolean } = {},
): TypedService {
  return { service, with: (use) => use(service, impl), ...(opts.incompressible === true ? { incompressible: true } : {}) };
}
