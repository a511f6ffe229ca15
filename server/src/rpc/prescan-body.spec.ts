import { create, toBinary, type DescMethod } from '@bufbuild/protobuf';
import type { UniversalServerRequest } from '@connectrpc/connect/protocol';
import { DbError } from '../errors/db-error.js';
import { BatchGetRequestSchema, DocumentService, GetRequestSchema } from '../gen/smarterbase/v1/document_service_pb.js';
import { binaryFraming, prescanRequest } from './prescan-body.js';

const batchGet = DocumentService.method.batchGet;
const get = DocumentService.method.get;
const MAX = 5 * 1024 * 1024;

function envelope(message: Uint8Array, flags = 0): Uint8Array {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flags;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** `bytes` cut into pieces of `size` bytes, as a request body. */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function request(contentType: string, body: AsyncIterable<Uint8Array>, extra: Record<string, string> = {}): UniversalServerRequest {
  return {
    httpVersion: '2.0',
    url: 'http://x/p',
    method: 'POST',
    header: new Headers({ 'content-type': contentType, ...extra }),
    body,
    signal: new AbortController().signal,
  };
}

async function bodyOf(req: UniversalServerRequest): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of req.body as AsyncIterable<Uint8Array>) parts.push(p);
  return Buffer.concat(parts);
}

const many = toBinary(
  BatchGetRequestSchema,
  create(BatchGetRequestSchema, { collection: 'c', ids: Array.from({ length: 10_001 }, (_, i) => `i${i}`) }),
);
const few = toBinary(BatchGetRequestSchema, create(BatchGetRequestSchema, { collection: 'c', ids: ['a', 'b'] }));
const getBytes = toBinary(GetRequestSchema, create(GetRequestSchema, { collection: 'c', id: 'a' }));

async function refusal(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DbError);
  return e as DbError;
}

describe('binaryFraming', () => {
  test('scans binary unary and server-streaming requests in each protocol', () => {
    const h = (ct: string, extra: Record<string, string> = {}) => new Headers({ 'content-type': ct, ...extra });
    expect(binaryFraming(get, 'POST', h('application/proto'), 'connect-unary')).toBe('bare');
    expect(binaryFraming(get, 'POST', h('application/proto', { 'content-encoding': 'identity' }), 'connect-unary')).toBe('bare');
    expect(binaryFraming(batchGet, 'POST', h('application/connect+proto'), 'connect-stream')).toBe('enveloped');
    expect(binaryFraming(batchGet, 'POST', h('application/grpc'), 'grpc')).toBe('enveloped');
    expect(binaryFraming(batchGet, 'POST', h('application/grpc+proto'), 'grpc')).toBe('enveloped');
    expect(binaryFraming(batchGet, 'POST', h('application/grpc-web+proto'), 'grpc-web')).toBe('enveloped');
  });

  test('leaves JSON, compressed Connect unary, GET and client streams to connect', () => {
    const h = (ct: string, extra: Record<string, string> = {}) => new Headers({ 'content-type': ct, ...extra });
    expect(binaryFraming(get, 'POST', h('application/json'), 'connect-unary')).toBeUndefined();
    expect(binaryFraming(batchGet, 'POST', h('application/connect+json'), 'connect-stream')).toBeUndefined();
    expect(binaryFraming(batchGet, 'POST', h('application/grpc+json'), 'grpc')).toBeUndefined();
    expect(binaryFraming(batchGet, 'POST', h('application/grpc-web-text'), 'grpc-web')).toBeUndefined();
    expect(binaryFraming(get, 'POST', h('application/proto', { 'content-encoding': 'gzip' }), 'connect-unary')).toBeUndefined();
    expect(binaryFraming(get, 'GET', h('application/proto'), 'connect-unary')).toBeUndefined();
    const clientStream = { ...get, methodKind: 'client_streaming' } as unknown as DescMethod;
    expect(binaryFraming(clientStream, 'POST', h('application/grpc'), 'grpc')).toBeUndefined();
  });
});

describe('prescanRequest', () => {
  test('refuses a Connect unary body with a field repeated more than 10,000 times', async () => {
    const e = await refusal(prescanRequest(request('application/proto', chunked(many, 1000)), batchGet, 'connect-unary', MAX));
    expect(e.kind).toBe('invalid');
    expect(e.message).toMatch(/ids has more than 10000 elements/);
  });

  test('refuses such an envelope in gRPC, however the body is cut', async () => {
    for (const size of [1, 3, 7, 4096]) {
      const e = await refusal(prescanRequest(request('application/grpc', chunked(envelope(many), size)), batchGet, 'grpc', MAX));
      expect(e.message).toMatch(/more than 10000/);
    }
  });

  test('refuses a broken top level as MALFORMED_REQUEST', async () => {
    const e = await refusal(
      prescanRequest(request('application/proto', chunked(Uint8Array.of(0x0a, 0x50, 0x61), 2)), get, 'connect-unary', MAX),
    );
    expect(e.reason).toBe('MALFORMED_REQUEST');
  });

  test('hands on a valid request with the same bytes, including any after the first envelope', async () => {
    const body = Buffer.concat([envelope(few), Buffer.from([9, 9, 9])]);
    const out = await prescanRequest(request('application/connect+proto', chunked(body, 2)), batchGet, 'connect-stream', MAX);
    expect(await bodyOf(out)).toEqual(body);
    const unary = await prescanRequest(request('application/proto', chunked(getBytes, 3)), get, 'connect-unary', MAX);
    expect(await bodyOf(unary)).toEqual(Buffer.from(getBytes));
  });

  test('does not scan a compressed envelope, a message over the limit or JSON', async () => {
    const compressed = envelope(many, 1);
    const out = await prescanRequest(request('application/grpc', chunked(compressed, 100)), batchGet, 'grpc', MAX);
    expect(await bodyOf(out)).toEqual(Buffer.from(compressed));
    const over = await prescanRequest(request('application/proto', chunked(many, 100)), batchGet, 'connect-unary', 1000);
    expect(await bodyOf(over)).toEqual(Buffer.from(many));
    const overEnvelope = await prescanRequest(request('application/grpc', chunked(envelope(many), 100)), batchGet, 'grpc', 1000);
    expect(await bodyOf(overEnvelope)).toEqual(Buffer.from(envelope(many)));
    const json = request('application/json', chunked(Buffer.from('{"ids":[]}'), 4));
    expect(await prescanRequest(json, batchGet, 'connect-unary', MAX)).toBe(json);
  });
});
