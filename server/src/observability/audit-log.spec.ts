import { Writable } from 'node:stream';
import { AuditLog, MAX_PENDING_APPENDS } from './audit-log.js';
import { createLogger } from './logger.js';

/** A logger whose JSON lines land in `lines`. */
function capture(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', out) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('AuditLog', () => {
  test('one line per event on the audit channel: admin successes at info, refusals at warn, with every field', async () => {
    const { lines, logger } = capture();
    const audit = new AuditLog(logger, undefined, () => Date.parse('2026-12-03T10:00:00Z'));
    audit.record({
      kind: 'admin',
      method: 'smarterbase.v1.AdminService/CreateIndex',
      principal: 'ops',
      resource: 'collection=users',
      outcome: 'ok',
    });
    audit.record({
      kind: 'denied',
      method: 'smarterbase.v1.DocumentService/Put',
      principal: 'app',
      verb: 'write',
      resource: 'orders',
      outcome: 'permission_denied',
      traceId: 'abc',
    });
    await tick();
    expect(lines.map((l) => [l.level, l.channel, l.msg])).toEqual([
      [30, 'audit', 'audit'],
      [40, 'audit', 'audit'],
    ]);
    expect(lines[1]!.audit).toEqual({
      time: '2026-12-03T10:00:00.000Z',
      kind: 'denied',
      method: 'smarterbase.v1.DocumentService/Put',
      principal: 'app',
      verb: 'write',
      resource: 'orders',
      outcome: 'permission_denied',
      traceId: 'abc',
    });
  });

  test('with an audit log, each event is appended too; a failed append is reported, not thrown', async () => {
    const { lines, logger } = capture();
    const appended: string[] = [];
    let fail = false;
    const audit = new AuditLog(logger, (line) => (fail ? Promise.reject(new Error('storage down')) : Promise.resolve(appended.push(line))));
    audit.record({ kind: 'unauthenticated', method: 'm', outcome: 'unauthenticated' });
    fail = true;
    audit.record({ kind: 'unauthenticated', method: 'm2', outcome: 'unauthenticated' });
    await tick();
    expect(appended.map((l) => (JSON.parse(l) as { method: string }).method)).toEqual(['m']);
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1);
  });

  test('at most MAX_PENDING_APPENDS appends in flight: the rest are counted as dropped from the audit log, never from the lines', async () => {
    const { lines, logger } = capture();
    const finish: (() => void)[] = [];
    const audit = new AuditLog(logger, () => new Promise<void>((r) => finish.push(r)));
    for (let i = 0; i < MAX_PENDING_APPENDS + 5; i++) audit.record({ kind: 'denied', method: 'm', outcome: 'permission_denied' });
    await tick();
    expect(finish).toHaveLength(MAX_PENDING_APPENDS);
    expect(audit.droppedCount()).toBe(5);
    expect(lines.filter((l) => l.msg === 'audit')).toHaveLength(MAX_PENDING_APPENDS + 5);
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1); // one report, not one per drop
    for (const f of finish.splice(0)) f();
    await tick();
    audit.record({ kind: 'denied', method: 'm', outcome: 'permission_denied' });
    expect(finish).toHaveLength(1);
  });
});
