"""Resumable uploads (ADR 0013 §3, §13): ``client.objects.upload_resumable``.

``StartUpload`` opens a session any server can continue; the bytes go in one
``WriteUpload`` stream ending with ``finish_write``. After UNAVAILABLE, a lost
connection, UPLOAD_BUSY (after its RetryInfo delay) or UPLOAD_OFFSET_MISMATCH,
the helper asks ``QueryUploadStatus`` for the committed size, seeks the source
there and writes again: the server skips bytes below its committed size, so
resending is harmless. It calls the stubs directly (no automatic retry), so
attempts are counted here only.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterator, Optional, Union

import grpc

from ._stubs import object_service_pb2 as os_pb
from .error_status import error_from_rpc_error
from .errors import SmarterBaseError

#: Most data bytes the server accepts per message.
MAX_CHUNK_SIZE = 4 << 20

#: What ``upload_resumable`` reads: bytes, a file path, or a seekable binary file object.
ResumableSource = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]

_LOST_CONNECTION_CODES = (grpc.StatusCode.INTERNAL, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN)


@dataclass(frozen=True)
class UploadProgress:
    """One progress report of a resumable upload.

    Attributes:
        committed: Bytes the server confirmed durable; never decreases.
        sent: Highest object offset handed to the stream so far (resent bytes count once); never decreases.
        total: The source's size.
    """

    committed: int
    sent: int
    total: int


@dataclass(frozen=True)
class UploadStatus:
    """What ``QueryUploadStatus`` says: the committed size, and the object once complete (else None)."""

    committed: int
    object: Any = None


def is_upload_resumable(err: SmarterBaseError) -> bool:
    """True for the errors after which the helper queries the status and writes again."""
    if err.code == grpc.StatusCode.UNAVAILABLE or (err.code in _LOST_CONNECTION_CODES and not err.reason):
        return True
    return err.reason in ("UPLOAD_BUSY", "UPLOAD_OFFSET_MISMATCH")


class _Source:
    """A seekable view of bytes, a path or a file object, with its size."""

    def __init__(self, source: ResumableSource) -> None:
        self._close = False
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._bytes: Optional[memoryview] = memoryview(source)
            self.size = len(self._bytes)
            return
        self._bytes = None
        if isinstance(source, (str, os.PathLike)):
            self._file: IO[bytes] = open(source, "rb")
            self._close = True
        else:
            self._file = source
        self.size = self._file.seek(0, os.SEEK_END)

    def chunks(self, offset: int, size: int) -> Iterator[bytes]:
        """The bytes from ``offset`` in chunks of at most ``size``."""
        if self._bytes is not None:
            for i in range(offset, len(self._bytes), size):
                yield bytes(self._bytes[i:i + size])
            return
        self._file.seek(offset)
        while True:
            block = self._file.read(size)
            if not block:
                return
            yield block

    def close(self) -> None:
        if self._close:
            self._file.close()


class ResumableUpload:
    """One run of ``upload_resumable``; see the module docstring."""

    def __init__(self, objects: Any, source: ResumableSource, *, chunk_size: int, max_resumes: int,
                 on_upload_id: Optional[Callable[[str], None]], progress: Optional[Callable[[UploadProgress], None]],
                 timeout: Optional[float], to_object: Callable[[Any], Any],
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._objects = objects
        self._to_object = to_object
        self._stub = objects.stub
        self._source = _Source(source)
        self._chunk = max(1, min(chunk_size, MAX_CHUNK_SIZE))
        self._max_resumes = max_resumes
        self._on_upload_id = on_upload_id
        self._progress = progress
        self._timeout = timeout
        self._sleep = sleep
        self.committed = 0
        self.sent = 0

    @property
    def size(self) -> int:
        """The source's size in bytes."""
        return self._source.size

    def run(self, header: Any, upload_id: str = "") -> Any:
        """Starts an upload with ``header`` (or continues ``upload_id``) and writes until it commits."""
        try:
            continuing = bool(upload_id)
            if not continuing:
                res = self._unary(self._stub.StartUpload, os_pb.StartUploadRequest(header=header))
                upload_id = res.upload_id
            if self._on_upload_id is not None:
                self._on_upload_id(upload_id)
            return self._loop(upload_id, need_query=continuing)
        finally:
            self._source.close()

    def _loop(self, upload_id: str, need_query: bool) -> Any:
        """Writes from the committed size until the object commits; after a resumable error
        waits (backoff, at least the RetryInfo delay) and asks the status before writing again."""
        retries = self._objects._client.retries
        fruitless = 0
        mark = -1  # the committed size when the last resume began
        offset = 0
        while True:
            try:
                if need_query:
                    st = self._query(upload_id)
                    if st.object is not None:
                        return st.object
                    offset, need_query = st.committed, False
                    if self.committed > mark:
                        fruitless = 0
                st = self._learn(self._write(upload_id, offset))
            except grpc.RpcError as rpc_err:
                err = error_from_rpc_error(rpc_err)
            except SmarterBaseError as e:
                err = e
            else:
                if st.object is not None:
                    return st.object
                raise SmarterBaseError(grpc.StatusCode.INTERNAL, "", "the write ended without committing the object")
            if fruitless >= self._max_resumes or not is_upload_resumable(err):
                raise err
            fruitless += 1
            mark = self.committed
            self._sleep(retries.backoff(min(fruitless, 64), err.retry_delay))
            need_query = True

    def _deadline(self) -> Optional[float]:
        return self._timeout if self._timeout is not None else self._objects.timeout

    def _unary(self, method: Callable[..., Any], request: Any) -> Any:
        try:
            return method(request, timeout=self._deadline())
        except grpc.RpcError as err:
            raise error_from_rpc_error(err) from None

    def _query(self, upload_id: str) -> UploadStatus:
        return self._learn(self._unary(self._stub.QueryUploadStatus, os_pb.QueryUploadStatusRequest(upload_id=upload_id)))

    def _learn(self, res: Any) -> UploadStatus:
        """Records a committed size the server confirmed (and the object when complete)."""
        self.committed = max(self.committed, res.committed_size)
        self._report()
        return UploadStatus(committed=res.committed_size, object=self._to_object(res.object) if res.complete else None)

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(UploadProgress(committed=self.committed, sent=self.sent, total=self._source.size))

    def _write(self, upload_id: str, offset: int) -> Any:
        """One WriteUpload stream from ``offset`` to the source's end, with finish_write."""

        def requests() -> Iterator[os_pb.WriteUploadRequest]:
            at = offset
            first = True
            for chunk in self._source.chunks(offset, self._chunk):
                last = at + len(chunk) >= self._source.size
                m = os_pb.WriteUploadRequest(data=chunk, finish_write=last)
                if first:
                    m.upload_id, m.write_offset, first = upload_id, offset, False
                yield m
                at += len(chunk)
                if at > self.sent:
                    self.sent = at
                    self._report()
                if last:
                    return
            yield os_pb.WriteUploadRequest(upload_id=upload_id if first else "", write_offset=offset if first else 0,
                                           finish_write=True)

        def guarded() -> Iterator[os_pb.WriteUploadRequest]:
            try:
                yield from requests()
            except Exception as e:  # the source failed: gRPC would report it as UNKNOWN, so keep it
                self._source_error = e
                raise

        self._source_error: Optional[BaseException] = None
        try:
            return self._stub.WriteUpload(guarded(), timeout=self._deadline())
        except grpc.RpcError:
            if self._source_error is not None:
                raise self._source_error from None
            raise
