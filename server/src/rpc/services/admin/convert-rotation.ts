/** AdminService.RotateKeys: the engine's progress → proto RotateKeysResponse. */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { RotateKeysProgress } from '../../../api/key-rotation-api.js';
import type { RotateKeysResponseSchema } from '../../../gen/smarterbase/v1/admin_service_pb.js';

/** One progress message as the proto response. */
export function rotateProgressToProto(p: RotateKeysProgress): MessageInitShape<typeof RotateKeysResponseSchema> {
  return {
    scanned: BigInt(p.scanned),
    rewritten: BigInt(p.rewritten),
    skipped: BigInt(p.skipped),
    failed: BigInt(p.failed),
    done: p.done,
    primaryKeyId: p.primaryKeyId,
    failedKeys: [...p.failedKeys],
  };
}
