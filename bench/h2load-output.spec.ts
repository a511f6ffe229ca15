import { h2loadErrors, parseH2loadOutput } from './h2load-output.js';

// The summary of a real run (h2load nghttp2/1.52.0 against bench/echo-server.ts).
const SAMPLE = `starting benchmark...
spawning thread #0: 1 total client(s). Timing-based test with 0s of warm-up time and 1.5s of main duration for measurements.
Application protocol: h2c

finished in 1.51s, 224.00 req/s, 252.99KB/s
requests: 336 total, 352 started, 336 done, 336 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 336 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 379.49KB (388594) total, 1.77KB (1816) headers (space savings 96.11%), 368.16KB (376992) data
                     min         max         mean         sd        +/- sd
time for request:     8.59ms    191.99ms     70.65ms     52.10ms    71.43%
time for connect:       87us        87us        87us         0us   100.00%
time to 1st byte:   147.58ms    147.58ms    147.58ms         0us   100.00%
req/s           :     223.86      223.86      223.86        0.00   100.00%
`;

describe('parseH2loadOutput', () => {
  it('reads requests, status classes, time, req/s, data bytes and the mean request time', () => {
    expect(parseH2loadOutput(SAMPLE)).toEqual({
      elapsedSeconds: 1.51,
      requestsPerSecond: 224,
      total: 336,
      succeeded: 336,
      failed: 0,
      errored: 0,
      timeout: 0,
      status: { '2xx': 336, '3xx': 0, '4xx': 0, '5xx': 0 },
      dataBytes: 376992,
      meanRequestMs: 70.65,
    });
  });

  it('converts microsecond and second units of the request time and an elapsed time in ms', () => {
    const us = SAMPLE.replace('70.65ms', '705us').replace('finished in 1.51s', 'finished in 950.5ms');
    expect(parseH2loadOutput(us).meanRequestMs).toBe(0.705);
    expect(parseH2loadOutput(us).elapsedSeconds).toBe(0.9505);
    expect(parseH2loadOutput(SAMPLE.replace('70.65ms', '1.25s')).meanRequestMs).toBe(1250);
  });

  it('throws, quoting the output, when a summary line is missing (e.g. h2load could not connect)', () => {
    expect(() => parseH2loadOutput('starting benchmark...\nclient could not connect to host')).toThrow(
      /"finished in" line.*could not connect/s,
    );
    expect(() => parseH2loadOutput(SAMPLE.replace(/status codes:.*\n/, ''))).toThrow(/status codes/);
  });
});

describe('h2loadErrors', () => {
  it('is zero for a clean run', () => {
    expect(h2loadErrors(parseH2loadOutput(SAMPLE))).toBe(0);
  });

  it('counts failed, errored and timed-out requests and successes that were not 2xx', () => {
    const text = SAMPLE.replace('336 succeeded, 0 failed, 0 errored, 0 timeout', '330 succeeded, 4 failed, 1 errored, 1 timeout').replace(
      '336 2xx, 0 3xx, 0 4xx, 0 5xx',
      '327 2xx, 0 3xx, 1 4xx, 2 5xx',
    );
    expect(h2loadErrors(parseH2loadOutput(text))).toBe(4 + 1 + 1 + 3);
  });
});
