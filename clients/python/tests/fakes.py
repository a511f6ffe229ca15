"""Crafted google.rpc statuses and a scriptable fake DocumentService."""
from __future__ import annotations

import threading
import time
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from smarterbase_client._stubs import document_pb2
from smarterbase_client._stubs import document_service_pb2 as pb
from smarterbase_client._stubs import document_service_pb2_grpc as pb_grpc


def error_info(reason: str, metadata: Optional[Mapping[str, str]] = None) -> error_details_pb2.ErrorInfo:
    """An ErrorInfo in the smarterbase.v1 domain."""
    return error_details_pb2.ErrorInfo(reason=reason, domain="smarterbase.v1", metadata=dict(metadata or {}))


def status_bin(code: grpc.StatusCode, message: str, details: Sequence[Message]) -> bytes:
    """Serialized google.rpc.Status, the value of grpc-status-details-bin."""
    packed = []
    for d in details:
        a = any_pb2.Any()
        a.Pack(d)
        packed.append(a)
    return status_pb2.Status(code=code.value[0], message=message, details=packed).SerializeToString()


class _Status(grpc.Status):
    def __init__(self, code: grpc.StatusCode, details: str, trailing: Tuple[Tuple[str, bytes], ...]) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = trailing


def abort(context: grpc.ServicerContext, code: grpc.StatusCode, message: str,
          details: Sequence[Message] = ()) -> None:
    """Ends the call with a status and its details trailer (as the real server does)."""
    trailing = (("grpc-status-details-bin", status_bin(code, message, details)),) if details else ()
    context.abort_with_status(_Status(code, message, trailing))


#: (seconds, nanos) of the commit_time every fake Commit answers (2026-01-02T03:04:05.5Z).
FAKE_COMMIT_TIME = (1767323045, 500_000_000)


#: One scripted outcome: None for success, or (code, message, details).
Outcome = Optional[Tuple[grpc.StatusCode, str, Sequence[Message]]]


class ScriptedService(pb_grpc.DocumentServiceServicer):
    """Answers each call with the next scripted outcome (success once the script runs out)
    and records every request it received, per method."""

    def __init__(self, outcomes: Sequence[Outcome] = ()) -> None:
        self._outcomes: List[Outcome] = list(outcomes)
        self._lock = threading.Lock()
        self.requests: Dict[str, List[Message]] = {}
        #: For BatchGet: how many messages to stream before applying the outcome.
        self.batch_fail_after: List[int] = []
        #: Seconds every unary call sleeps before answering.
        self.delay = 0.0

    def _next(self, method: str, request: Message) -> Outcome:
        with self._lock:
            self.requests.setdefault(method, []).append(request)
            return self._outcomes.pop(0) if self._outcomes else None

    def calls(self, method: str) -> int:
        """How many calls of ``method`` arrived."""
        return len(self.requests.get(method, []))

    def _unary(self, method: str, request: Message, context: grpc.ServicerContext,
               make: Callable[[], Message]) -> Message:
        outcome = self._next(method, request)
        if self.delay:
            time.sleep(self.delay)
        if outcome is not None:
            abort(context, *outcome)
        return make()

    def Get(self, request, context):  # type: ignore[no-untyped-def]
        doc = document_pb2.Document(collection=request.collection, id=request.id, etag="e1", version=1)
        doc.data.update({"ok": True})
        return self._unary("Get", request, context, lambda: pb.GetResponse(document=doc))

    def Put(self, request, context):  # type: ignore[no-untyped-def]
        doc = document_pb2.Document(collection=request.collection, id=request.id, etag="e2", version=2,
                                    data=request.data)
        return self._unary("Put", request, context, lambda: pb.PutResponse(document=doc))

    def PutIfMatch(self, request, context):  # type: ignore[no-untyped-def]
        doc = document_pb2.Document(collection=request.collection, id=request.id, etag="e3", version=3,
                                    data=request.data)
        return self._unary("PutIfMatch", request, context, lambda: pb.PutIfMatchResponse(document=doc))

    def Delete(self, request, context):  # type: ignore[no-untyped-def]
        return self._unary("Delete", request, context, lambda: pb.DeleteResponse(deleted=True))

    def Commit(self, request, context):  # type: ignore[no-untyped-def]
        """One result per write (etag "e<i>", version i+1; a delete answers "" / 0),
        transaction id "tx-<request_id>", commit_time FAKE_COMMIT_TIME."""
        results = [pb.TransactionWriteResult(collection=w.collection, id=w.id,
                                             etag="" if w.WhichOneof("operation") == "delete" else f"e{i}",
                                             version=0 if w.WhichOneof("operation") == "delete" else i + 1)
                   for i, w in enumerate(request.writes)]
        res = pb.CommitResponse(results=results, transaction_id=f"tx-{request.request_id}")
        res.commit_time.seconds, res.commit_time.nanos = FAKE_COMMIT_TIME
        return self._unary("Commit", request, context, lambda: res)

    def BatchGet(self, request, context):  # type: ignore[no-untyped-def]
        with self._lock:
            self.requests.setdefault("BatchGet", []).append(request)
            fail_after = self.batch_fail_after.pop(0) if self.batch_fail_after else None
            outcome = self._outcomes.pop(0) if fail_after is not None and self._outcomes else None
        for i, id_ in enumerate(request.ids):
            if fail_after is not None and i == fail_after and outcome is not None:
                abort(context, *outcome)
            yield pb.BatchGetResponse(id=id_, found=id_.startswith("found"),
                                      document=document_pb2.Document(collection=request.collection, id=id_)
                                      if id_.startswith("found") else None)

