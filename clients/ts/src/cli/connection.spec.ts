import { DEFAULT_ADDR, profilesPath, resolveConnection, type ConnectionInputs } from './connection';

const files = (map: Record<string, string>) => (p: string) => {
  if (!(p in map)) throw new Error(`ENOENT ${p}`);
  return map[p];
};
const PROFILES = JSON.stringify({
  default: 'local',
  profiles: {
    local: { addr: '10.0.0.1:50051', apiKey: 'sbk_profile' },
    prod: { addr: 'db.example.com:443', cacert: '/ca.pem', apiKeyFile: '/key.txt' },
  },
});

function inputs(flags: ConnectionInputs['flags'], env: Record<string, string> = {}, extra: Record<string, string> = {}): ConnectionInputs {
  return {
    flags,
    env: { HOME: '/home/u', ...env },
    readFile: files({ '/home/u/.config/smarterbase/profiles.json': PROFILES, '/ca.pem': 'CA', '/key.txt': 'sbk_file\n', ...extra }),
  };
}

describe('resolveConnection', () => {
  it('defaults to the server default gRPC port on loopback, plaintext, no key, without a profiles file', () => {
    const r = resolveConnection({ flags: {}, env: { HOME: '/nowhere' }, readFile: files({}) });
    expect(r.addr).toBe(DEFAULT_ADDR);
    expect(DEFAULT_ADDR).toBe('127.0.0.1:50051');
    expect(r.options).toEqual({ address: DEFAULT_ADDR });
  });

  it('takes the default profile of the file when none is named', () => {
    expect(resolveConnection(inputs({})).options).toEqual({ address: '10.0.0.1:50051', apiKey: 'sbk_profile' });
  });

  it('prefers flags over the environment over the profile, field by field', () => {
    const env = { SMARTERBASE_ADDR: 'env:1', SMARTERBASE_API_KEY: 'sbk_env' };
    expect(resolveConnection(inputs({}, env)).options).toEqual({ address: 'env:1', apiKey: 'sbk_env' });
    expect(resolveConnection(inputs({ addr: 'flag:2' }, env)).options).toEqual({ address: 'flag:2', apiKey: 'sbk_env' });
  });

  it('reads a named profile with a CA file and a key file: TLS with that CA, the first line of the key file', () => {
    const r = resolveConnection(inputs({ profile: 'prod' }));
    expect(r.options).toEqual({ address: 'db.example.com:443', tls: { ca: 'CA' }, apiKey: 'sbk_file' });
    expect(r.profile).toBe('prod');
  });

  it('names the profile by SMARTERBASE_PROFILE and the file by SMARTERBASE_PROFILES', () => {
    const env = { SMARTERBASE_PROFILES: '/p.json', SMARTERBASE_PROFILE: 'x' };
    const r = resolveConnection(inputs({}, env, { '/p.json': JSON.stringify({ profiles: { x: { addr: 'x:1', tls: true } } }) }));
    expect(r.options).toEqual({ address: 'x:1', tls: true });
  });

  it('refuses a missing profile, a missing file for a named profile, a cert without key and an unreadable CA', () => {
    expect(() => resolveConnection(inputs({ profile: 'nope' }))).toThrow(
      'no profile "nope" in /home/u/.config/smarterbase/profiles.json (it has: local, prod)',
    );
    expect(() => resolveConnection({ flags: { profile: 'p' }, env: { HOME: '/x' }, readFile: files({}) })).toThrow(
      /profile "p" asked for, but .* cannot be read/,
    );
    expect(() => resolveConnection(inputs({ cert: '/ca.pem' }))).toThrow('--cert and --key go together');
    expect(() => resolveConnection(inputs({ cacert: '/missing.pem' }))).toThrow(/cannot read --cacert \/missing\.pem/);
  });

  it('turns on TLS for --tls (system CAs) and for mTLS material', () => {
    expect(resolveConnection(inputs({ tls: true, addr: 'h:1' })).options.tls).toBe(true);
    expect(resolveConnection(inputs({ cert: '/ca.pem', key: '/key.txt', addr: 'h:1' })).options.tls).toEqual({
      cert: 'CA',
      key: 'sbk_file\n',
    });
  });
});

it('profilesPath follows SMARTERBASE_PROFILES, then XDG_CONFIG_HOME, then ~/.config', () => {
  expect(profilesPath({ SMARTERBASE_PROFILES: '/a.json', HOME: '/h' })).toBe('/a.json');
  expect(profilesPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/h' })).toBe('/xdg/smarterbase/profiles.json');
  expect(profilesPath({ HOME: '/h' })).toBe('/h/.config/smarterbase/profiles.json');
});
