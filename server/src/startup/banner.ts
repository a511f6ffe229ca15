/**
 * The one banner line the server logs once it listens (issue 15): version,
 * where it listens, where the data lives, how it coordinates, and whether
 * auth and TLS are on, in words a person reads at a glance. The same facts
 * go into the log record as fields for machines.
 */
import { resolve } from 'node:path';
import type { Config } from '../config/settings.js';
import { withoutPassword } from './startup-error.js';

/** What the banner needs beyond the settings: what start-up found. */
export interface BannerFacts {
  readonly version: string;
  /** The Node.js version, e.g. v20.19.0 (README, "Node.js support"). */
  readonly node: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** null: metrics are off or their port could not be bound. */
  readonly metricsPort: number | null;
  /** off, on or mtls. */
  readonly tls: 'off' | 'on' | 'mtls';
}

/** Where the documents live: the storage and its directory, or its bucket, prefix and endpoint. */
export function storageSummary(config: Config): string {
  if (config.storage === 'memory') return 'memory (lost at exit)';
  if (config.storage === 'filesystem') return `filesystem ${resolve(config.dataDir)}`;
  const prefix = config.s3Prefix ? `/${config.s3Prefix}` : '';
  return `s3 ${config.s3Bucket ?? '?'}${prefix} at ${config.s3Endpoint ?? 'AWS'}`;
}

/** How replicas coordinate: in process, or the Redis URL without its password. */
export function coordinationSummary(config: Config): string {
  if (config.coordination === 'local') return 'in-process (one server)';
  return `redis${config.redisCluster ? ' cluster' : ''} ${withoutPassword(config.redisUrl ?? '')}`;
}

/** The banner line, e.g. "SmarterBase 0.1.0 (Node v20.19.0) ready: gRPC 127.0.0.1:50051, HTTP 127.0.0.1:8080, metrics :9464/metrics; storage filesystem /srv/data; coordination in-process (one server); auth off; TLS off". */
export function bannerLine(config: Config, facts: BannerFacts): string {
  const metrics = facts.metricsPort === null ? 'metrics off' : `metrics ${config.host}:${facts.metricsPort}/metrics`;
  return (
    `SmarterBase ${facts.version} (Node ${facts.node}) ready: gRPC ${config.host}:${facts.grpcPort}, HTTP ${config.host}:${facts.httpPort}, ${metrics}; ` +
    `storage ${storageSummary(config)}; coordination ${coordinationSummary(config)}; auth ${config.auth}; TLS ${facts.tls}`
  );
}
