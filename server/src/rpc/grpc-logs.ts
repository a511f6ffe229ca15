/**
 * grpc-js writes its own error lines to stderr ("E No address added out of
 * total 1 resolved" before a bind failure we explain in one line ourselves).
 * routeGrpcLogs sends its errors and infos into the server's log instead, as
 * warn and info records with source "grpc-js"; its debug output (GRPC_TRACE)
 * stays on stderr, where its users look for it.
 */
import { format } from 'node:util';
import * as grpc from '@grpc/grpc-js';

/** The two log levels grpc-js's lines go to. */
export interface GrpcLogSink {
  warn(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
}

/** Routes grpc-js's error and info lines to `sink` (process-wide: grpc-js has one logger). */
export function routeGrpcLogs(sink: GrpcLogSink): void {
  grpc.setLogger({
    error: (message: unknown, ...rest: unknown[]) => sink.warn({ source: 'grpc-js' }, format(message, ...rest)),
    info: (message: unknown, ...rest: unknown[]) => sink.info({ source: 'grpc-js' }, format(message, ...rest)),
    debug: (message: unknown, ...rest: unknown[]) => console.error(`D ${format(message, ...rest)}`),
  } as Partial<Console>);
}
