"""A stock Python gRPC client (grpcio + googleapis-common-protos, no generated
SmarterBase code) sends DocumentService.Put with the request bytes given in
hex and prints one JSON line: {"code": ..., "reason": ..., "metadata": {...}}."""
import json
import sys

import grpc
from google.rpc import error_details_pb2, status_pb2


def main() -> None:
    target, body = sys.argv[1], bytes.fromhex(sys.argv[2])
    with grpc.insecure_channel(target) as channel:
        put = channel.unary_unary("/smarterbase.v1.DocumentService/Put")
        try:
            put(body, timeout=10)
            print(json.dumps({"code": "OK"}))
        except grpc.RpcError as err:
            trailers = dict(err.trailing_metadata() or ())
            status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
            info = error_details_pb2.ErrorInfo()
            assert status.details[0].Unpack(info)
            print(json.dumps({"code": err.code().name, "reason": info.reason, "metadata": dict(info.metadata)}))


if __name__ == "__main__":
    main()
