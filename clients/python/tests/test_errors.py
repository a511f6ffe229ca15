"""Unit tests of error decoding: crafted statuses, no SmarterBase server."""
from __future__ import annotations

import pickle

import grpc
import pytest
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2

from smarterbase_client import (
    AbortedError,
    AlreadyExistsError,
    Client,
    DeadlineExceededError,
    EtagMismatchError,
    InvalidArgumentError,
    NotFoundError,
    RetryPolicy,
    SmarterBaseError,
    UnavailableError,
    error_from_status,
)

from fakes import ScriptedService, error_info, status_bin

KEY = "grpc-status-details-bin"


def test_decodes_error_info_reason_domain_and_metadata() -> None:
    raw = status_bin(grpc.StatusCode.ABORTED, "stale", [error_info(
        "ETAG_MISMATCH", {"collection": "c", "id": "i", "currentEtag": "cur", "expectedEtag": "old"})])
    err = error_from_status(grpc.StatusCode.ABORTED, "stale", [("other", "x"), (KEY, raw)])
    assert isinstance(err, EtagMismatchError) and isinstance(err, AbortedError)
    assert err.code == grpc.StatusCode.ABORTED
    assert err.reason == "ETAG_MISMATCH" and err.domain == "smarterbase.v1"
    assert err.metadata == {"collection": "c", "id": "i", "currentEtag": "cur", "expectedEtag": "old"}
    assert err.current_etag == "cur" and err.expected_etag == "old"
    assert err.is_etag_mismatch and not err.is_not_found
    assert err.message == "stale"


@pytest.mark.parametrize("code, reason, cls", [
    (grpc.StatusCode.NOT_FOUND, "DOCUMENT_NOT_FOUND", NotFoundError),
    (grpc.StatusCode.ALREADY_EXISTS, "DOCUMENT_ALREADY_EXISTS", AlreadyExistsError),
    (grpc.StatusCode.ABORTED, "CONCURRENT_MODIFICATION", AbortedError),
    (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ID", InvalidArgumentError),
    (grpc.StatusCode.UNAVAILABLE, "BACKEND_UNAVAILABLE", UnavailableError),
    (grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", DeadlineExceededError),
    (grpc.StatusCode.INTERNAL, "INTERNAL_ERROR", SmarterBaseError),
    (grpc.StatusCode.FAILED_PRECONDITION, "", SmarterBaseError),
])
def test_class_follows_code(code: grpc.StatusCode, reason: str, cls: type) -> None:
    raw = status_bin(code, "m", [error_info(reason)] if reason else [])
    err = error_from_status(code, "m", [(KEY, raw)])
    assert type(err) is cls
    assert err.reason == reason


def test_decodes_retry_info_and_bad_request() -> None:
    retry = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=1, nanos=250_000_000))
    raw = status_bin(grpc.StatusCode.UNAVAILABLE, "down", [error_info("BACKEND_UNAVAILABLE"), retry])
    err = error_from_status(grpc.StatusCode.UNAVAILABLE, "down", [(KEY, raw)])
    assert err.retry_delay == pytest.approx(1.25)

    bad = error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field="id", description="has a slash", reason="INVALID_ID")])
    raw = status_bin(grpc.StatusCode.INVALID_ARGUMENT, "bad id", [error_info("INVALID_ID"), bad])
    err = error_from_status(grpc.StatusCode.INVALID_ARGUMENT, "bad id", [(KEY, raw)])
    assert isinstance(err, InvalidArgumentError)
    assert err.field == "id"
    assert [(v.field, v.reason) for v in err.field_violations] == [("id", "INVALID_ID")]


def test_missing_or_corrupt_trailer_keeps_code_with_empty_reason() -> None:
    for trailers in (None, [], [(KEY, b"\xff\xff not a status")]):
        err = error_from_status(grpc.StatusCode.UNAVAILABLE, "connect failed", trailers)
        assert type(err) is UnavailableError
        assert err.reason == "" and err.metadata == {} and err.message == "connect failed"


def test_errors_survive_pickling() -> None:
    raw = status_bin(grpc.StatusCode.ABORTED, "m", [error_info("ETAG_MISMATCH", {"currentEtag": "x"})])
    err = error_from_status(grpc.StatusCode.ABORTED, "m", [(KEY, raw)])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is EtagMismatchError and back.current_etag == "x" and back.code == err.code


def test_client_raises_typed_error_decoded_from_the_wire(fake_server_factory) -> None:  # type: ignore[no-untyped-def]
    service = ScriptedService([(grpc.StatusCode.ABORTED, "etag is stale", [
        error_info("ETAG_MISMATCH", {"currentEtag": "now", "expectedEtag": "then"})])])
    server = fake_server_factory(service)
    with Client(server.address, timeout=5, retries=RetryPolicy(initial_backoff=0.001)) as c:
        with pytest.raises(EtagMismatchError) as info:
            c.put_if_match("c", "i", {"a": 1}, "then")
    err = info.value
    assert err.code == grpc.StatusCode.ABORTED and err.message == "etag is stale"
    assert err.current_etag == "now" and err.expected_etag == "then"
    assert service.calls("PutIfMatch") == 1  # ABORTED is never retried


def test_client_decodes_errors_raised_mid_stream(fake_server_factory) -> None:  # type: ignore[no-untyped-def]
    service = ScriptedService([(grpc.StatusCode.NOT_FOUND, "gone", [error_info("DOCUMENT_NOT_FOUND")])])
    service.batch_fail_after.append(1)
    server = fake_server_factory(service)
    with Client(server.address, timeout=5) as c:
        it = c.batch_get("c", ["found-1", "x", "found-2"])
        first = next(it)
        assert first.id == "found-1" and first.found
        with pytest.raises(NotFoundError) as info:
            next(it)
    assert info.value.reason == "DOCUMENT_NOT_FOUND"
