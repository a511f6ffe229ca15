import { auditTo } from './audit.js';

describe('auditTo', () => {
  test('allowed admin calls are info lines, refusals warnings, each marked audit: true with every field', () => {
    const lines: [string, Record<string, unknown>, string][] = [];
    const sink = auditTo({ info: (f, m) => lines.push(['info', f, m]), warn: (f, m) => lines.push(['warn', f, m]) });
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
});
