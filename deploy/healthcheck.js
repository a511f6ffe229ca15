#!/usr/bin/env node
// Container health check (compose `healthcheck`, Kubernetes exec probes): asks the server's own
// gRPC health service (grpc.health.v1.Health/Check, over the Connect protocol on SB_HTTP_PORT)
// for each service named on the command line ("" = the whole server, the default; e.g.
// smarterbase.storage, smarterbase.coordination for readiness: NOT_SERVING while that backend is
// unreachable). Exits 0 when every answer is SERVING, 1 otherwise, printing one line per check.
// Health needs no credentials even with SB_AUTH=on. With TLS (SB_TLS_CERT_FILE) it speaks HTTPS
// to 127.0.0.1 without verifying the certificate (it checks its own container over loopback);
// under SB_TLS_CLIENT_AUTH=require set SB_HEALTHCHECK_CERT_FILE / SB_HEALTHCHECK_KEY_FILE to a
// client certificate. Plain Node, no dependencies. Timeout: SB_HEALTHCHECK_TIMEOUT_MS (3000).
'use strict';
const { readFileSync } = require('node:fs');

const env = process.env;
const tls = Boolean(env.SB_TLS_CERT_FILE);
const port = Number(env.SB_HEALTHCHECK_PORT || env.SB_HTTP_PORT || 8080);
const timeoutMs = Number(env.SB_HEALTHCHECK_TIMEOUT_MS || 3000);
const services = process.argv.length > 2 ? process.argv.slice(2) : [''];
const transport = require(tls ? 'node:https' : 'node:http');

function check(service) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ service });
    const req = transport.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/grpc.health.v1.Health/Check',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
        ...(tls
          ? {
              rejectUnauthorized: false,
              ...(env.SB_HEALTHCHECK_CERT_FILE ? { cert: readFileSync(env.SB_HEALTHCHECK_CERT_FILE) } : {}),
              ...(env.SB_HEALTHCHECK_KEY_FILE ? { key: readFileSync(env.SB_HEALTHCHECK_KEY_FILE) } : {}),
            }
          : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let status = `HTTP ${res.statusCode}`;
          try {
            status = JSON.parse(text).status || status;
          } catch {
            // not JSON: keep the HTTP status
          }
          resolve(status);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve(err.message));
    req.end(body);
  });
}

(async () => {
  let ok = true;
  for (const service of services) {
    const status = await check(service);
    process.stdout.write(`${service === '' ? '(server)' : service}: ${status}\n`);
    if (status !== 'SERVING') ok = false;
  }
  process.exit(ok ? 0 : 1);
})();
