import { auditTo, MAX_PENDING_APPENDS } from './audit.js';

describe('auditTo', () => {
  test('allowed admin calls are info lines, refusals warnings, each marked audit: true with every field', () => {
    const lines: [string, Record<string, unknown>, string][] = [];
    const sink = auditTo({
      info: (f, m) => lines.push(['info', f, m]),
      warn: (f, m) => lines.push(['warn', f, m]),
      error: () => undefined,
    });
    sink({ outcome: 'allowed', method: '/m/A', principal: 'p', resources: ['admin access'], traceId: 't' });
    sink({ outcome: 'denied', method: '/m/B', principal: 'p', resources: ['write collection:x'], reason: 'PERMISSION_DENIED' });
    sink({ outcome: 'unauthenticated', method: '/m/C', resources: [], reason: 'INVALID_API_KEY' });
    expect(lines).toEqual([
      [
        'info',
        { audit: true, outcome: 'allowed', method: '/m/A', principal: 'p', resources: ['admin access'], traceId: 't' },
        'admin call allowed',
      ],
      [
        'warn',
        { audit: true, outcome: 'denied', method: '/m/B', principal: 'p', resources: ['write collection:x'], reason: 'PERMISSION_DENIED' },
        'call denied',
      ],
      [
        'warn',
        { audit: true, outcome: 'unauthenticated', method: '/m/C', resources: [], reason: 'INVALID_API_KEY' },
        'call unauthenticated',
      ],
    ]);
  });

  const quiet = { info: () => undefined, warn: () => undefined };
  const tick = () => new Promise((r) => setImmediate(r));

  test('with an audit log each record is appended as a JSON line with its time; a failed append is reported, not thrown', async () => {
    const errors: unknown[] = [];
    const appended: string[] = [];
    let fail = false;
    const sink = auditTo(
      { ...quiet, error: (f) => errors.push(f) },
      (line) => (fail ? Promise.reject(new Error('storage down')) : Promise.resolve(appended.push(line))),
      () => Date.parse('2026-12-03T10:00:00Z'),
    );
    sink({ outcome: 'denied', method: '/m/B', principal: 'p', resources: ['write collection:x'], reason: 'PERMISSION_DENIED' });
    fail = true;
    sink({ outcome: 'unauthenticated', method: '/m/C', resources: [] });
    await tick();
    expect(appended.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        time: '2026-12-03T10:00:00.000Z',
        outcome: 'denied',
        method: '/m/B',
        principal: 'p',
        resources: ['write collection:x'],
        reason: 'PERMISSION_DENIED',
      },
    ]);
    expect(errors).toHaveLength(1);
  });

  test('at most MAX_PENDING_APPENDS appends in flight: the rest are counted as dropped, reported once', async () => {
    const errors: unknown[] = [];
    const finish: (() => void)[] = [];
    const sink = auditTo({ ...quiet, error: (f) => errors.push(f) }, () => new Promise<void>((r) => finish.push(r)));
    for (let i = 0; i < MAX_PENDING_APPENDS + 5; i++) sink({ outcome: 'unauthenticated', method: '/m', resources: [] });
    await tick();
    expect(finish).toHaveLength(MAX_PENDING_APPENDS);
    expect(sink.dropped()).toBe(5);
    expect(errors).toHaveLength(1);
    for (const f of finish.splice(0)) f();
    await tick();
    sink({ outcome: 'unauthenticated', method: '/m', resources: [] });
    expect(finish).toHaveLength(1);
  });
});
