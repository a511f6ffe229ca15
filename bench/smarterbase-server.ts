/**
 * Starts the real SmarterBase server (`dist/server/src/main.js`) as a child
 * process on free loopback ports, with one of its storage back ends.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { startListening, serverMainPath, type RunningProcess } from './processes.js';

/** Which storage the server under test uses. */
export type ServerStorage =
  | { readonly kind: 'memory' }
  | { readonly kind: 'filesystem'; readonly dataDir: string }
  | {
      readonly kind: 's3';
      readonly endpoint: string;
      readonly bucket: string;
      /** `--s3-conditional`: auto (probe; lock mode against gofakes3) or native (forced). Default auto. */
      readonly conditional?: 'auto' | 'native';
    };

/** Static credentials and region for the loopback S3 server (gofakes3 accepts any). */
export const BENCH_S3_ENV = {
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench-secret',
  AWS_REGION: 'us-east-1',
} as const;

/**
 * A raw AWS SDK client of the loopback S3 server at `endpoint` (the baseline
 * the benchmarks compare with), configured as the server's S3 adapter
 * configures a custom endpoint: path-style, no extra checksum work.
 */
export function benchS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: BENCH_S3_ENV.AWS_REGION,
    credentials: { accessKeyId: BENCH_S3_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: BENCH_S3_ENV.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * The command-line flags that select `storage`, plus port 0 (a free port) for
 * gRPC, HTTP and metrics. Metrics stay on, as in production, so that their
 * per-call cost is measured; with the default metrics port (9464) a second
 * server of the same run could not bind it and would run with metrics off,
 * cheaper per call than the first, and a run would clash with anything else
 * on the machine holding 9464.
 */
export function serverArgs(storage: ServerStorage): string[] {
  const args = ['--storage', storage.kind, '--grpc-port', '0', '--http-port', '0', '--metrics-port', '0'];
  if (storage.kind === 'filesystem') args.push('--data-dir', storage.dataDir);
  if (storage.kind === 's3') {
    args.push('--s3-endpoint', storage.endpoint, '--s3-bucket', storage.bucket, '--s3-force-path-style', 'true');
    args.push('--s3-conditional', storage.conditional ?? 'auto');
  }
  return args;
}

/**
 * Starts the server with `storage`; resolves once it logged "listening" (port = gRPC port).
 * `mainPath` runs another build of the server (e.g. an older commit's dist) instead of this one's;
 * `env` adds settings (SB_* variables).
 */
export function startSmarterbase(
  storage: ServerStorage,
  mainPath = serverMainPath(),
  env: NodeJS.ProcessEnv = {},
): Promise<RunningProcess> {
  return startListening(mainPath, serverArgs(storage), { ...BENCH_S3_ENV, ...env });
}
