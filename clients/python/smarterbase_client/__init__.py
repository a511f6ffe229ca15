"""Python client for SmarterBase, a document database served over gRPC.

Example::

    from smarterbase_client import Client, EtagMismatchError

    with Client("127.0.0.1:50051", timeout=5) as db:
        doc = db.put("users", "alice", {"name": "Alice", "visits": 0})
        db.update("users", "alice", lambda d: {**d, "visits": d["visits"] + 1})
        db.transaction().set("users", "bob", {"n": 1}).delete("users", "eve").commit()
"""
from . import batch, filters
from .batch import BatchExistsItem, BatchWriteResult, DeleteItem, PutItem
from .client import BatchGetItem, Client, DeleteResult, ExistsResult
from .document import Document, JsonObject, ListPage
from .errors import (
    ERROR_DOMAIN,
    AbortedError,
    AlreadyExistsError,
    DeadlineExceededError,
    EtagMismatchError,
    FieldViolation,
    IndexNotFoundError,
    IndexRequiredError,
    InvalidArgumentError,
    InvalidFilterError,
    LockHeldError,
    LockNotHeldError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionViolation,
    Reason,
    RevisionCompactedError,
    SequenceTrimmedError,
    SmarterBaseError,
    TransactionContentionError,
    UnavailableError,
    UniqueViolationError,
)
from .error_status import (
    code_is,
    error_from_rpc_error,
    error_from_status,
    error_from_status_proto,
    has_reason,
)
from .expiry import Expiry
from .locks import HeldLock, Lease, LockGuard, LockInfo
from .objects import ObjectChecksumError, ObjectInfo, ObjectPage, Objects
from .object_upload import UploadProgress, UploadStatus
from .log_appender import AppenderClosedError, LogAppender, is_append_retryable
from .log_reader import LogEntry, LogReadStream
from .logs import AppendResult, Logs
from .queries import CountResult, IndexBuildError, IndexInfo, QueryPlan, QueryStream
from .retry import RetryPolicy
from .security import ApiKeyInterceptor, TlsConfig
from .transactions import CommitResult, Transaction, TransactionWriteResult
from .watch import Change, WatchBatch, WatchStream, is_watch_retryable

__all__ = [
    "ApiKeyInterceptor",
    "TlsConfig",
    "ERROR_DOMAIN",
    "AbortedError",
    "AlreadyExistsError",
    "BatchExistsItem",
    "BatchGetItem",
    "BatchWriteResult",
    "Client",
    "CommitResult",
    "CountResult",
    "DeadlineExceededError",
    "DeleteItem",
    "Document",
    "EtagMismatchError",
    "Expiry",
    "DeleteResult",
    "ExistsResult",
    "FieldViolation",
    "IndexBuildError",
    "IndexInfo",
    "IndexNotFoundError",
    "IndexRequiredError",
    "InvalidArgumentError",
    "InvalidFilterError",
    "HeldLock",
    "JsonObject",
    "Lease",
    "ListPage",
    "LockGuard",
    "LockHeldError",
    "LockInfo",
    "ObjectChecksumError",
    "ObjectInfo",
    "ObjectPage",
    "Objects",
    "UploadProgress",
    "UploadStatus",
    "LockNotHeldError",
    "NotFoundError",
    "PreconditionFailedError",
    "PreconditionViolation",
    "PutItem",
    "QueryPlan",
    "QueryStream",
    "Reason",
    "RetryPolicy",
    "RevisionCompactedError",
    "SequenceTrimmedError",
    "SmarterBaseError",
    "Change",
    "Transaction",
    "TransactionContentionError",
    "TransactionWriteResult",
    "UnavailableError",
    "UniqueViolationError",
    "WatchBatch",
    "WatchStream",
    "is_watch_retryable",
    "AppendResult",
    "AppenderClosedError",
    "LogAppender",
    "LogEntry",
    "LogReadStream",
    "Logs",
    "is_append_retryable",
    "code_is",
    "error_from_rpc_error",
    "error_from_status",
    "error_from_status_proto",
    "has_reason",
    "batch",
    "filters",
]
