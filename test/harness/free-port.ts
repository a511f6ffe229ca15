/**
 * Finds a free TCP port on the loopback interface, for test servers that take a
 * port on their command line (they cannot be told to bind port 0 and report it).
 */
import { createServer } from 'node:net';

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
