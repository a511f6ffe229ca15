import * as grpc from '@grpc/grpc-js';
import { routeGrpcLogs } from './grpc-logs.js';

describe('routeGrpcLogs', () => {
  const original = console;
  afterEach(() => grpc.setLogger(original));

  test("grpc-js's error lines become warn records and its info lines info records, with source grpc-js", () => {
    const records: [string, object, string][] = [];
    routeGrpcLogs({ warn: (f, m) => records.push(['warn', f, m]), info: (f, m) => records.push(['info', f, m]) });
    const logger = captureLogger();
    logger.error!('No address added out of total %d resolved', 1);
    logger.info!('listening');
    expect(records).toEqual([
      ['warn', { source: 'grpc-js' }, 'No address added out of total 1 resolved'],
      ['info', { source: 'grpc-js' }, 'listening'],
    ]);
  });
});

/** The logger grpc-js now writes to (grpc-js exports no getter; its logging module has one). */
function captureLogger(): Partial<Console> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const logging = require('@grpc/grpc-js/build/src/logging') as { getLogger(): Partial<Console> };
  return logging.getLogger();
}
