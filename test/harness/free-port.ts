/**
 * Finds a free TCP port on the loopback interface, for test servers that take a
 * port on their command line (they cannot be told to bind port 0 and report it).
 */
import { connect, createServer } from 'node:net';

/** A port on 127.0.0.1 that was free a moment ago (the OS picked it for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      const port = address.port;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/**
 * A loopback port where nothing listens and no test server will: a connection to it is refused.
 * A port from freePort() is in the ephemeral range, where a server that another suite starts
 * meanwhile may take it (a CI run once saw an "unreachable" S3 endpoint answer with another
 * suite's HTTP); this one is below that range (test servers bind port 0 or freePort()), and is
 * checked to refuse a connection now.
 */
export async function refusedPort(): Promise<number> {
  for (let port = 1; port < 1024; port++) if (await refuses(port)) return port;
  throw new Error('every port below 1024 on 127.0.0.1 accepts connections');
}

/** Whether a TCP connection to 127.0.0.1:`port` is refused. */
function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}
