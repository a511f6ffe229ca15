"""Python client for SmarterBase, a document database served over gRPC.

Example::

    from smarterbase_client import Client, EtagMismatchError

    with Client("127.0.0.1:50051", timeout=5) as db:
        doc = db.put("users", "alice", {"name": "Alice", "visits": 0})
        db.update("users", "alice", lambda d: {**d, "visits": d["visits"] + 1})
"""
from .client import BatchGetItem, Client, ExistsResult
from .document import Document, JsonObject, ListPage
from .errors import (
    ERROR_DOMAIN,
    AbortedError,
    AlreadyExistsError,
    DeadlineExceededError,
    EtagMismatchError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    SmarterBaseError,
    UnavailableError,
    error_from_rpc_error,
    error_from_status,
)
from .retry import RetryPolicy

__all__ = [
    "ERROR_DOMAIN",
    "AbortedError",
    "AlreadyExistsError",
    "BatchGetItem",
    "Client",
    "DeadlineExceededError",
    "Document",
    "EtagMismatchError",
    "ExistsResult",
    "FieldViolation",
    "InvalidArgumentError",
    "JsonObject",
    "ListPage",
    "NotFoundError",
    "RetryPolicy",
    "SmarterBaseError",
    "UnavailableError",
    "error_from_rpc_error",
    "error_from_status",
]
