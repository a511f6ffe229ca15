"""A stock Python gRPC client (grpcio + googleapis-common-protos, default
channel options, no generated SmarterBase code) makes calls whose requests
were serialized by the test (stdin: JSON {"target": ..., "calls": [{"name",
"method", "stream", "request_b64"}]}) and reports how each ended: the code,
the message length, the ErrorInfo reason, the number of PreconditionFailure
violations and the size of the trailing metadata as sent on the wire
(binary values base64-encoded). Prints one JSON object keyed by call name."""
import base64
import json
import sys

import grpc
from google.rpc import error_details_pb2, status_pb2


def identity(b: bytes) -> bytes:
    return b


def outcome(err: grpc.RpcError) -> dict:
    trailers = list(err.trailing_metadata() or ())
    size = 0
    for key, value in trailers:
        size += len(key) + (len(base64.b64encode(value)) if isinstance(value, bytes) else len(value))
    out = {"code": err.code().name, "message_len": len(err.details() or ""), "trailer_bytes": size}
    raw = dict(trailers).get("grpc-status-details-bin")
    if raw is not None:
        status = status_pb2.Status.FromString(raw)
        for any_msg in status.details:
            info = error_details_pb2.ErrorInfo()
            if any_msg.Unpack(info):
                out["reason"] = info.reason
                out["metadata"] = dict(info.metadata)
            failure = error_details_pb2.PreconditionFailure()
            if any_msg.Unpack(failure):
                out["violations"] = len(failure.violations)
    return out


def main() -> None:
    spec = json.load(sys.stdin)
    results = {}
    with grpc.insecure_channel(spec["target"]) as channel:
        for call in spec["calls"]:
            request = base64.b64decode(call["request_b64"])
            try:
                if call["stream"]:
                    method = channel.unary_stream(call["method"], request_serializer=identity, response_deserializer=identity)
                    for _ in method(request, timeout=20):
                        pass
                else:
                    method = channel.unary_unary(call["method"], request_serializer=identity, response_deserializer=identity)
                    method(request, timeout=20)
                results[call["name"]] = {"code": "OK"}
            except grpc.RpcError as err:
                results[call["name"]] = outcome(err)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
