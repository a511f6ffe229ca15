import { loadConfig } from './load-config.js';
import { isLoopbackHost } from './tls-policy.js';

const load = (env: Record<string, string>) => loadConfig({ argv: [], env });
const TLS = { SB_TLS_CERT_FILE: '/c.pem', SB_TLS_KEY_FILE: '/k.pem' };

describe('plaintext policy', () => {
  test('loopback hosts are 127.0.0.0/8, ::1 and localhost', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'db.internal', '128.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });

  test('plaintext on the default loopback host starts without warnings', () => {
    expect(load({}).warnings).toEqual([]);
  });

  test('a non-loopback host without TLS is a ConfigError naming both ways out', () => {
    expect(() => load({ SB_HOST: '0.0.0.0' })).toThrow(
      /SB_HOST 0\.0\.0\.0 is not a loopback address and TLS is off: set SB_TLS_CERT_FILE and SB_TLS_KEY_FILE, or SB_ALLOW_PLAINTEXT=true/,
    );
  });

  test('SB_ALLOW_PLAINTEXT=true allows it with a warning; TLS needs no flag', () => {
    expect(load({ SB_HOST: '0.0.0.0', SB_ALLOW_PLAINTEXT: 'true' }).warnings.join('\n')).toMatch(
      /^PLAINTEXT on non-loopback host 0\.0\.0\.0/,
    );
    expect(load({ SB_HOST: '0.0.0.0', ...TLS }).warnings).toEqual([]);
  });
});

describe('TLS settings checked together', () => {
  test('certificate and key come together', () => {
    expect(() => load({ SB_TLS_CERT_FILE: '/c.pem' })).toThrow(/SB_TLS_KEY_FILE \(--tls-key-file\) is required with SB_TLS_CERT_FILE/);
    expect(() => load({ SB_TLS_KEY_FILE: '/k.pem' })).toThrow(/SB_TLS_CERT_FILE \(--tls-cert-file\) is required with SB_TLS_KEY_FILE/);
  });

  test('a client CA needs a server certificate; client auth needs a client CA', () => {
    expect(() => load({ SB_TLS_CLIENT_CA_FILE: '/ca.pem' })).toThrow(/SB_TLS_CLIENT_CA_FILE .* needs SB_TLS_CERT_FILE/);
    expect(() => load({ ...TLS, SB_TLS_CLIENT_AUTH: 'optional' })).toThrow(/SB_TLS_CLIENT_AUTH .* needs SB_TLS_CLIENT_CA_FILE/);
    expect(load({ ...TLS, SB_TLS_CLIENT_CA_FILE: '/ca.pem', SB_TLS_CLIENT_AUTH: 'optional' }).config.tlsClientAuth).toBe('optional');
    expect(load({ ...TLS }).config.tlsReloadMs).toBe(5000);
  });

  test('backend TLS files need TLS URLs', () => {
    const redis = { SB_COORDINATION: 'redis' };
    expect(() => load({ ...redis, SB_REDIS_URL: 'redis://r:6379', SB_REDIS_CA_FILE: '/ca.pem' })).toThrow(
      /need a rediss:\/\/ SB_REDIS_URL/,
    );
    expect(load({ ...redis, SB_REDIS_URL: 'rediss://r:6379', SB_REDIS_CA_FILE: '/ca.pem' }).config.redisCaFile).toBe('/ca.pem');
    expect(() => load({ ...redis, SB_REDIS_URL: 'rediss://r:6379', SB_REDIS_CERT_FILE: '/c.pem' })).toThrow(/SB_REDIS_KEY_FILE/);
    expect(() => load({ SB_S3_ENDPOINT: 'http://s3:9000', SB_S3_CA_FILE: '/ca.pem' })).toThrow(
      /SB_S3_CA_FILE needs an https:\/\/ SB_S3_ENDPOINT/,
    );
  });
});
