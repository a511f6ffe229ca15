import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { CONNECTION_WINDOW_BYTES, MAX_FRAME_BYTES, STREAM_WINDOW_BYTES, widenFlowControl } from './grpc-flow-control.js';

describe('widenFlowControl', () => {
  let server: grpc.Server;
  let port: number;

  beforeEach(async () => {
    server = new grpc.Server();
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
  });

  afterEach(() => server.forceShutdown());

  /** Connects a plain HTTP/2 client; resolves with the settings and connection window the server announced. */
  async function announced(): Promise<{ settings: http2.Settings; connectionWindow: number }> {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('remoteSettings', () => resolve());
        client.once('error', reject);
      });
      // The session's own SETTINGS and WINDOW_UPDATE follow its initial SETTINGS; a ping's answer comes after them.
      await new Promise<void>((resolve, reject) => client.ping((e) => (e ? reject(e) : resolve())));
      return { settings: client.remoteSettings, connectionWindow: client.state.remoteWindowSize ?? -1 };
    } finally {
      client.destroy();
    }
  }

  it('announces the stream window, the frame size and the connection window on every session', async () => {
    expect(widenFlowControl(server)).toBe(true);
    for (let i = 0; i < 2; i++) {
      const { settings, connectionWindow } = await announced();
      expect(settings.initialWindowSize).toBe(STREAM_WINDOW_BYTES);
      expect(settings.maxFrameSize).toBe(MAX_FRAME_BYTES);
      expect(connectionWindow).toBe(CONNECTION_WINDOW_BYTES);
    }
  });

  it('without it the server keeps Node’s defaults (64 KiB windows, 16 KiB frames)', async () => {
    const { settings, connectionWindow } = await announced();
    expect(settings.initialWindowSize).toBe(65_535);
    expect(settings.maxFrameSize).toBe(16_384);
    expect(connectionWindow).toBe(65_535);
  });
});
