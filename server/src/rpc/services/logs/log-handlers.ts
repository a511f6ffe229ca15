/**
 * LogService in connect-es style: requests → LogApi inputs, items →
 * responses; translation only. Errors are DbErrors, translated by
 * rpc/decorators/wrap-errors.ts.
 */
import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { LogApi } from '../../../api/log-api.js';
import { invalid } from '../../../errors/db-error.js';
import { AppendResponseSchema, ReadLogResponseSchema, type LogService } from '../../../gen/smarterbase/v1/log_service_pb.js';
import { PROGRESS_INTERVAL_MS } from '../../../streams/watch-input.js';
import { callContextOf } from '../../convert/call-context.js';
import { toTimestamp } from '../../convert/convert.js';
import { durationToMs } from '../../convert/duration.js';

/** A sequence number of a request as a JS number (refused above 2^53). */
function sequenceOf(value: bigint, field: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER))
    throw invalid('INVALID_ARGUMENT', field, `${field} must be 0 or a sequence number`);
  return Number(value);
}

/** The LogService implementation over a LogApi. */
export function createLogHandlers(api: LogApi): ServiceImpl<typeof LogService> {
  return {
    async append(req, ctx) {
      const r = await api.append(callContextOf(ctx), { log: req.log, lines: req.lines, requestId: req.requestId });
      return create(AppendResponseSchema, {
        firstSequence: BigInt(r.firstSequence),
        lastSequence: BigInt(r.lastSequence),
        deduplicated: r.deduplicated,
      });
    },
    async *readLog(req, ctx) {
      const input = {
        log: req.log,
        fromSequence: sequenceOf(req.fromSequence, 'from_sequence'),
        fromEnd: req.fromEnd,
        follow: req.follow,
        progressIntervalMs: durationToMs(req.progressInterval, 'progress_interval') ?? PROGRESS_INTERVAL_MS.default,
      };
      for await (const item of api.read(callContextOf(ctx), input)) {
        yield create(ReadLogResponseSchema, {
          tailSequence: BigInt(item.tailSequence),
          entries: item.entries.map((e) => ({
            sequence: BigInt(e.sequence),
            line: e.line,
            appendTime: toTimestamp(new Date(e.appendTimeMs)),
          })),
        });
      }
    },
  };
}
