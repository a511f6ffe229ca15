/**
 * Raw-frame fuzz cases: hostile message bytes (fuzz-bytes.ts) wrapped in
 * gRPC or Connect framing that may itself lie (compressed flag without an
 * encoding, wrong flags, length prefixes longer or shorter than the body,
 * several messages for a unary call), under headers that may be broken
 * (bad grpc-timeout, content-type, grpc-encoding, oversized values), sent
 * to real and made-up method paths.
 */
import * as fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import type { OutgoingHttpHeaders } from 'node:http2';
import type { DescMethod } from '@bufbuild/protobuf';
import { FUZZED_METHODS, methodPath } from './fuzz-calls.js';
import { hostileBytesArb } from './fuzz-bytes.js';
import { messageJsonArb } from './fuzz-json.js';

/** Where a raw case goes: gRPC over h2c to either port, or the Connect protocol over HTTP/1.1 to the HTTP port. */
export type RawTarget = 'grpc@grpc-port' | 'grpc@http-port' | 'connect@http-port';

/** One raw request. `brokenHttp` marks requests broken at the HTTP level, which may be answered by a plain 4xx or a stream reset. */
export interface RawCase {
  readonly target: RawTarget;
  readonly path: string;
  readonly method?: DescMethod;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
  readonly framing: string;
  readonly brokenHttp: boolean;
}

/** Paths that name no method, each a different way of being wrong. */
const UNKNOWN_PATHS = [
  '/smarterbase.v1.DocumentService/Nope',
  '/smarterbase.v1.NoService/Get',
  '/smarterbase.v1.DocumentService/',
  '/smarterbase.v1.DocumentService',
  '/',
  '/x',
  '/smarterbase.v1.DocumentService/get',
  '/smarterbase.v1.DocumentService/Get/extra',
  '/%2e%2e/Get',
  `/${'a'.repeat(4000)}/B`,
  '/grpc.health.v1.Health/Check',
  '/smarterbase.v1.DocumentService/Get?x=1',
];

/** The length-prefixed envelope of gRPC and Connect streaming (flag byte, 4-byte big-endian length). */
export function envelope(flags: number, payload: Uint8Array, claimedLength = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(claimedLength >>> 0, 1);
  return Buffer.concat([head, payload]);
}

/** Ways to frame `payload` for a gRPC or Connect-streaming body, with the headers they need. */
function framedArb(payload: Buffer): fc.Arbitrary<{ framing: string; body: Buffer; headers: OutgoingHttpHeaders }> {
  const plain = { framing: 'frame', body: envelope(0, payload), headers: {} };
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(plain) },
    { weight: 1, arbitrary: fc.constant({ framing: 'compressed flag, no encoding', body: envelope(1, payload), headers: {} }) },
    {
      weight: 1,
      arbitrary: fc.constant({
        framing: 'compressed flag, gzip header, not gzip',
        body: envelope(1, payload),
        headers: { 'grpc-encoding': 'gzip', 'connect-content-encoding': 'gzip' },
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constant({
        framing: 'gzip',
        body: envelope(1, gzipSync(payload)),
        headers: { 'grpc-encoding': 'gzip', 'connect-content-encoding': 'gzip' },
      }),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 2, max: 255 }).map((f) => ({ framing: `flags ${f}`, body: envelope(f, payload), headers: {} })),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 5000 })
        .map((k) => ({ framing: `length +${k}`, body: envelope(0, payload, payload.length + k), headers: {} })),
    },
    { weight: 1, arbitrary: fc.constant({ framing: 'length 0xffffffff', body: envelope(0, payload, 0xffffffff), headers: {} }) },
    {
      weight: 1,
      arbitrary: fc.constant({
        framing: 'length -1 byte, trailing byte',
        body: envelope(0, payload, Math.max(0, payload.length - 1)),
        headers: {},
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constant({ framing: 'two messages', body: Buffer.concat([envelope(0, payload), envelope(0, payload)]), headers: {} }),
    },
    { weight: 1, arbitrary: fc.constant({ framing: 'no message', body: Buffer.alloc(0), headers: {} }) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 4 })
        .map((n) => ({ framing: `${n}-byte header`, body: envelope(0, payload).subarray(0, n), headers: {} })),
    },
  );
}

/** Headers broken in one way, for gRPC requests (applied over the normal ones). */
const BROKEN_GRPC_HEADERS: readonly { name: string; headers: OutgoingHttpHeaders }[] = [
  { name: 'grpc-timeout garbage', headers: { 'grpc-timeout': 'abcS' } },
  { name: 'grpc-timeout too long', headers: { 'grpc-timeout': '999999999H' } },
  { name: 'grpc-timeout 0n', headers: { 'grpc-timeout': '0n' } },
  { name: 'grpc-timeout negative', headers: { 'grpc-timeout': '-1m' } },
  { name: 'content-type grpc+json', headers: { 'content-type': 'application/grpc+json' } },
  { name: 'content-type text/plain', headers: { 'content-type': 'text/plain' } },
  { name: 'content-type grpc-web', headers: { 'content-type': 'application/grpc-web+proto' } },
  { name: 'grpc-encoding bogus', headers: { 'grpc-encoding': 'bogus' } },
  { name: 'grpc-encoding br', headers: { 'grpc-encoding': 'br' } },
  { name: 'grpc-accept-encoding garbage', headers: { 'grpc-accept-encoding': '\x01,,,gzip;q=x' } },
  { name: 'GET', headers: { ':method': 'GET' } },
  { name: 'no te', headers: { te: '' } },
  { name: '16 KiB header', headers: { 'x-big': 'x'.repeat(16_384) } },
  { name: 'binary header garbage', headers: { 'x-bin': '!!!not base64', 'grpc-trace-bin': '%%%' } },
];

const CONNECT_JSON_GARBAGE = [
  '',
  '{',
  '}',
  'null',
  '[]',
  '"x"',
  '1',
  '{"collection": 5}',
  '{"ids": "x"}',
  '{"unknownField": 1}',
  '{"data": {"__proto__": {"x": 1}}}',
  '{"collection": "a", "collection": "b"}',
  '\ufeff{}',
  '{"ttl": "1x"}',
  '{"pageSize": 1e400}',
  `${'['.repeat(50_000)}`,
  `{"data": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
];

/** A gRPC raw case for `target`. */
function grpcCaseArb(target: RawTarget): fc.Arbitrary<RawCase> {
  const known = fc
    .constantFrom(...FUZZED_METHODS)
    .chain((method) =>
      hostileBytesArb(method.input).map((bytes) => ({ method: method as DescMethod | undefined, path: methodPath(method), bytes })),
    );
  const unknown = fc
    .tuple(fc.constantFrom(...UNKNOWN_PATHS), fc.uint8Array({ maxLength: 16 }))
    .map(([path, b]) => ({ method: undefined, path, bytes: Buffer.from(b) }));
  return fc
    .tuple(
      fc.oneof({ weight: 12, arbitrary: known }, { weight: 1, arbitrary: unknown }),
      fc.option(fc.constantFrom(...BROKEN_GRPC_HEADERS), { freq: 10 }),
    )
    .chain(([m, broken]) =>
      framedArb(m.bytes).map((f) => ({
        target,
        path: m.path,
        method: m.method,
        body: f.body,
        headers: { 'grpc-timeout': '3S', ...f.headers, ...(broken?.headers ?? {}) },
        framing: broken === null ? f.framing : `${f.framing}; ${broken.name}`,
        brokenHttp: broken !== null,
      })),
    );
}

/** A Connect-protocol raw case (HTTP/1.1): unary with proto or JSON bodies, streaming with envelopes. */
function connectCaseArb(): fc.Arbitrary<RawCase> {
  return fc.constantFrom(...FUZZED_METHODS).chain((method) => {
    const path = methodPath(method);
    const base = { 'connect-protocol-version': '1', 'connect-timeout-ms': '3000' };
    if (method.methodKind === 'server_streaming') {
      return hostileBytesArb(method.input)
        .chain((bytes) => framedArb(bytes))
        .map((f): RawCase => ({
          target: 'connect@http-port',
          path,
          method,
          body: f.body,
          framing: `connect stream ${f.framing}`,
          brokenHttp: false,
          headers: { ...base, 'content-type': 'application/connect+proto', ...f.headers },
        }));
    }
    const proto = hostileBytesArb(method.input).map((body): RawCase => ({
      target: 'connect@http-port',
      path,
      method,
      body,
      framing: 'connect unary proto',
      brokenHttp: false,
      headers: { ...base, 'content-type': 'application/proto' },
    }));
    const jsonText = fc.oneof(
      messageJsonArb(method.input).map((j) => JSON.stringify(j)),
      fc.tuple(messageJsonArb(method.input), fc.nat(), fc.integer({ min: 0, max: 7 })).map(([j, at, bit]) => {
        const b = Buffer.from(JSON.stringify(j));
        if (b.length > 0) b[at % b.length]! ^= 1 << bit;
        return b.toString('latin1');
      }),
      fc.constantFrom(...CONNECT_JSON_GARBAGE),
    );
    const json = jsonText.map((text): RawCase => ({
      target: 'connect@http-port',
      path,
      method,
      body: Buffer.from(text, 'latin1'),
      framing: 'connect unary json',
      brokenHttp: false,
      headers: { ...base, 'content-type': 'application/json' },
    }));
    const gzipLie = hostileBytesArb(method.input).map((body): RawCase => ({
      target: 'connect@http-port',
      path,
      method,
      body,
      framing: 'connect unary, content-encoding gzip but not gzip',
      brokenHttp: false,
      headers: { ...base, 'content-type': 'application/proto', 'content-encoding': 'gzip' },
    }));
    return fc.oneof({ weight: 5, arbitrary: proto }, { weight: 4, arbitrary: json }, { weight: 1, arbitrary: gzipLie });
  });
}

/** A raw case for any of the three targets. */
export const rawCaseArb: fc.Arbitrary<RawCase> = fc.oneof(grpcCaseArb('grpc@grpc-port'), grpcCaseArb('grpc@http-port'), connectCaseArb());
