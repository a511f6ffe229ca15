"""A stock Python gRPC client (grpcio + googleapis-common-protos, no generated
SmarterBase code) calls DocumentService.Get for a missing document and decodes
google.rpc.Status / ErrorInfo from the grpc-status-details-bin trailer.
Prints one JSON line: {"code": ..., "reason": ..., "domain": ..., "metadata": {...}}."""
import json
import sys

import grpc
from google.rpc import error_details_pb2, status_pb2


def field(num: int, value: str) -> bytes:
    data = value.encode()
    return bytes([num << 3 | 2, len(data)]) + data


def main() -> None:
    target, collection, doc_id = sys.argv[1], sys.argv[2], sys.argv[3]
    with grpc.insecure_channel(target) as channel:
        get = channel.unary_unary("/smarterbase.v1.DocumentService/Get")
        try:
            get(field(1, collection) + field(2, doc_id), timeout=10)
            print(json.dumps({"code": "OK"}))
            return
        except grpc.RpcError as err:
            trailers = dict(err.trailing_metadata() or ())
            status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
            info = error_details_pb2.ErrorInfo()
            assert status.details[0].Unpack(info)
            print(json.dumps({
                "code": err.code().name,
                "status_code": status.code,
                "reason": info.reason,
                "domain": info.domain,
                "metadata": dict(info.metadata),
            }))


if __name__ == "__main__":
    main()
