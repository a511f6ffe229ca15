/**
 * Connection-level fuzz cases: broken HTTP/1.1 requests and broken HTTP/2
 * connections (random frames after the preface, invalid SETTINGS, garbage
 * HPACK, frames on stream 0 or on idle streams) written on a raw TCP
 * socket, and the judge: the server must answer with a clean status (not
 * 5xx) or close the connection, within the deadline, after the client
 * stops sending.
 */
import * as fc from 'fast-check';
import { connect } from 'node:net';

/** The HTTP/2 client connection preface. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** An HTTP/2 frame. */
export function h2Frame(type: number, flags: number, streamId: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId >>> 0, 5);
  return Buffer.concat([head, payload]);
}

function settings(pairs: [number, number][]): Buffer {
  const p = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, v], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(v >>> 0, i * 6 + 2);
  });
  return h2Frame(4, 0, 0, p);
}

/** One connection's bytes, with a name for the report. */
export interface ConnectionCase {
  readonly name: string;
  readonly bytes: Buffer;
}

const HTTP1_GARBAGE: readonly string[] = [
  'GET / HTTP/9.9\r\n\r\n',
  'POST /smarterbase.v1.DocumentService/Get HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  'POST /smarterbase.v1.DocumentService/Get HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n',
  'POST /smarterbase.v1.DocumentService/Get HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'POST /smarterbase.v1.DocumentService/Get HTTP/1.1\r\nHost: x\r\nContent-Type: application/proto\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n',
  'POST /smarterbase.v1.DocumentService/Get HTTP/1.1\r\nHost: x\r\nContent-Type: application/proto\r\nContent-Length: 10\r\n\r\nab',
  'POST /smarterbase.v1.DocumentService/Get HTTP/1.1\r\nHost: x\r\nbroken header line\r\n\r\n',
  'POST /smarterbase.v1.DocumentService/Get HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n',
  `POST /smarterbase.v1.DocumentService/Get HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
  `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  'POST /smarterbase.v1.DocumentService/Get HTTP/1.1\r\nHost: x\r\nContent-Type: application/proto\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc',
  'POST /smarterbase.v1.DocumentService/Get?connect=v1&encoding=proto&base64=1&message=!!! HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /smarterbase.v1.DocumentService/Get?connect=v1&encoding=json&message=%7B%22collection%22%3A%5B HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /smarterbase.v1.DocumentService/Exists?connect=v1&encoding=proto&base64=1&compression=gzip&message=AAAA HTTP/1.1\r\nHost: x\r\n\r\n',
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  '\r\n\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nHTTP2-Settings: !!!\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n',
];

/** A random connection: HTTP/1.1 garbage, random bytes, or an HTTP/2 preface followed by hostile frames. */
export const connectionCaseArb: fc.Arbitrary<ConnectionCase> = fc.oneof(
  fc.constantFrom(...HTTP1_GARBAGE).map((t) => ({ name: `http1 ${JSON.stringify(t.slice(0, 60))}`, bytes: Buffer.from(t, 'latin1') })),
  fc.uint8Array({ maxLength: 256 }).map((b) => ({ name: 'random bytes', bytes: Buffer.from(b) })),
  fc
    .array(
      fc.tuple(
        fc.integer({ min: 0, max: 12 }),
        fc.nat(255),
        fc.oneof(fc.constant(0), fc.constant(1), fc.constant(2), fc.nat()),
        fc.uint8Array({ maxLength: 64 }),
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((frames) => ({
      name: 'h2 random frames',
      bytes: Buffer.concat([PREFACE, settings([]), ...frames.map(([t, f, id, p]) => h2Frame(t, f, id, p))]),
    })),
  fc
    .constantFrom<[string, Buffer]>(
      ['h2 SETTINGS window too large', settings([[4, 0x80000000]])],
      ['h2 SETTINGS max frame size too small', settings([[5, 100]])],
      ['h2 SETTINGS enable_push 2', settings([[2, 2]])],
      ['h2 SETTINGS on a stream', h2Frame(4, 0, 1, Buffer.alloc(6))],
      ['h2 garbage HPACK', Buffer.concat([settings([]), h2Frame(1, 0x5, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]))])],
      ['h2 HEADERS with no pseudo headers', Buffer.concat([settings([]), h2Frame(1, 0x5, 1, Buffer.from([0x40, 0x01, 0x61, 0x01, 0x62]))])],
      ['h2 DATA on idle stream', Buffer.concat([settings([]), h2Frame(0, 1, 7, Buffer.from('abc'))])],
      ['h2 WINDOW_UPDATE 0', Buffer.concat([settings([]), h2Frame(8, 0, 0, Buffer.alloc(4))])],
      ['h2 RST_STREAM on stream 0', Buffer.concat([settings([]), h2Frame(3, 0, 0, Buffer.alloc(4))])],
      ['h2 CONTINUATION without HEADERS', Buffer.concat([settings([]), h2Frame(9, 4, 1, Buffer.from([0x82]))])],
      ['h2 PING of wrong size', Buffer.concat([settings([]), h2Frame(6, 0, 0, Buffer.alloc(3))])],
      ['h2 frame larger than max', Buffer.concat([settings([]), h2Frame(0, 0, 1, Buffer.alloc(20_000))])],
      [
        'h2 GOAWAY then HEADERS',
        Buffer.concat([settings([]), h2Frame(7, 0, 0, Buffer.alloc(8)), h2Frame(1, 0x5, 1, Buffer.from([0x83, 0x86, 0x84]))]),
      ],
    )
    .map(([name, frames]) => ({ name, bytes: Buffer.concat([PREFACE, frames]) })),
);

/** How a connection case ended: `label` is counted, `failure` (when set) breaks the rules. */
export interface ConnectionVerdict {
  readonly label: string;
  readonly failure?: string;
}

/** True when `bytes` (what an HTTP/2 server sent, from its first frame) hold a GOAWAY frame. */
function hasGoaway(bytes: Buffer): boolean {
  let at = 0;
  while (at + 9 <= bytes.length) {
    if (bytes[at + 3] === 7) return true;
    at += 9 + bytes.readUIntBE(at, 3);
  }
  return false;
}

/**
 * Writes `c` on a fresh TCP connection to `port`, half-closes it, and waits
 * for the server to close it or send an HTTP/2 GOAWAY. An HTTP/1.1 status line that comes back must not
 * be 5xx.
 */
export function sendConnectionCase(port: number, c: ConnectionCase, timeoutMs: number): Promise<ConnectionVerdict> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let head = '';
    let got = Buffer.alloc(0);
    let settled = false;
    const done = (v: ConnectionVerdict): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(v);
      }
    };
    const timer = setTimeout(() => done({ label: 'HANG', failure: 'connection neither answered nor closed by the deadline' }), timeoutMs);
    socket.on('data', (d: Buffer) => {
      if (head.length < 64) head += d.toString('latin1');
      if (got.length < 65_536) got = Buffer.concat([got, d]);
      // An HTTP/2 GOAWAY is the server's answer to a broken connection, even before it closes the socket.
      if (hasGoaway(got)) done({ label: 'GOAWAY' });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (status === null) {
        resolve({ label: head.length > 0 ? 'closed after HTTP/2 frames' : 'closed' });
        return;
      }
      const code = Number(status[1]);
      // 501 is Connect's status of UNIMPLEMENTED: the answer to a path that is no method, with a Connect error body.
      const unimplemented = code === 501 && /"code":"unimplemented"/.test(got.toString('latin1'));
      resolve(code >= 500 && !unimplemented ? { label: `HTTP ${code}`, failure: `HTTP ${code}` } : { label: `HTTP ${code}` });
    });
    socket.once('connect', () => socket.end(c.bytes));
  });
}
