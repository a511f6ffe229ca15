/**
 * StreamService in connect-es style: request → WatchInput → StreamApi.watch
 * → one WatchResponse per item. Errors are DbErrors, translated by
 * rpc/decorators/wrap-errors.ts.
 */
import type { ServiceImpl } from '@connectrpc/connect';
import type { StreamApi } from '../../../api/stream-api.js';
import type { StreamService } from '../../../gen/smarterbase/v1/stream_service_pb.js';
import { callContextOf } from '../../convert/call-context.js';
import { watchInputFromProto, watchResponseOf } from './convert-watch.js';

/** The StreamService implementation over a StreamApi. */
export function createStreamHandlers(api: StreamApi): ServiceImpl<typeof StreamService> {
  return {
    async *watch(req, ctx) {
      for await (const item of api.watch(callContextOf(ctx), watchInputFromProto(req))) yield watchResponseOf(item);
    },
  };
}
