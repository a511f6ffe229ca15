/** A stock Python grpcio client decodes ErrorInfo from grpc-status-details-bin (the grpc-js port). */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startFixture, type RpcFixture } from './rpc-fixture.js';

const python = join(__dirname, '..', '..', '.venv', 'bin', 'python');
const script = join(__dirname, 'python', 'decode_error_info.py');

/** Runs the script asynchronously (the server lives in this process, so a sync spawn would block it). */
function run(collection: string, id: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      [script, `127.0.0.1:${fx.ports.grpcPort}`, collection, id],
      { encoding: 'utf8', timeout: 30000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}

let fx: RpcFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx.server.shutdown(500);
});

test('grpcio sees NOT_FOUND with ErrorInfo DOCUMENT_NOT_FOUND', async () => {
  expect(await run('users', 'ghost')).toEqual({
    code: 'NOT_FOUND',
    status_code: 5,
    reason: 'DOCUMENT_NOT_FOUND',
    domain: 'smarterbase.v1',
    metadata: { collection: 'users', id: 'ghost' },
  });
});

test('grpcio sees INVALID_ARGUMENT with ErrorInfo INVALID_ID', async () => {
  expect(await run('users', '..')).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'INVALID_ID', metadata: { field: 'id' } });
});
