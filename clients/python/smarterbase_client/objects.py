"""Objects: large files stored beside documents (ObjectService, docs/streams.md "Objects").

``upload`` sends one client stream (a header, the bytes in chunks, then
``finish_write``): nothing is visible unless it returns. It is not retried by
itself (a source cannot always be rewound): upload again after an
``UnavailableError``. ``download`` continues an interrupted transfer from the
bytes already written, pinned to the first message's etag so the bytes never
mix two versions, and checks a whole-object download against the object's
SHA-256 (``ObjectChecksumError``).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any, Callable, Dict, Iterable, Iterator, List, Optional, Union

import grpc

from ._stubs import document_service_pb2 as doc_pb
from ._stubs import object_pb2 as obj_pb
from ._stubs import object_service_pb2 as os_pb
from ._stubs import object_service_pb2_grpc as os_grpc
from .error_status import error_from_rpc_error
from .errors import SmarterBaseError
from .object_upload import ResumableSource, ResumableUpload, UploadProgress, UploadStatus

#: Bytes per upload message (the server accepts up to 4 MiB).
DEFAULT_CHUNK_SIZE = 1 << 20

#: Called with the bytes sent (upload) or written (download) so far.
Progress = Callable[[int], None]

#: What ``upload`` reads: bytes, a binary file object, or an iterable of byte chunks.
Source = Union[bytes, bytearray, memoryview, IO[bytes], Iterable[bytes]]

_RESUMABLE_CODES = (grpc.StatusCode.UNAVAILABLE,)
_LOST_CONNECTION_CODES = (grpc.StatusCode.INTERNAL, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN)


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object's metadata.

    Attributes:
        collection, id: Where it lives.
        etag: Changes on every write; pass it to ``if_match`` / ``Objects.delete``.
        version: 1 when created, +1 on every later write.
        size: Its length in bytes.
        sha256: Lowercase hex SHA-256 of the whole object.
        content_type: The media type given at upload.
        metadata: User metadata given at upload.
        create_time, update_time: When it was created and when this version was committed.
    """

    collection: str
    id: str
    etag: str
    version: int
    size: int
    sha256: str
    content_type: str = ""
    metadata: Dict[str, str] = field(default_factory=dict)
    create_time: Optional[datetime] = None
    update_time: Optional[datetime] = None


@dataclass(frozen=True)
class ObjectPage:
    """One page of ``Objects.list``; ``next_page_token`` is empty at the end."""

    objects: List[ObjectInfo]
    next_page_token: str


class ObjectChecksumError(SmarterBaseError):
    """The bytes downloaded do not hash to the object's recorded SHA-256."""

    def __init__(self, message: str) -> None:
        super().__init__(grpc.StatusCode.DATA_LOSS, "OBJECT_CORRUPT", message)


def _time(ts: Any) -> Optional[datetime]:
    if ts.seconds == 0 and ts.nanos == 0:
        return None
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=timezone.utc)


def object_from_proto(m: obj_pb.ObjectMetadata) -> ObjectInfo:
    """Converts the wire ObjectMetadata."""
    return ObjectInfo(collection=m.collection, id=m.id, etag=m.etag, version=m.version, size=m.size_bytes,
                      sha256=m.sha256, content_type=m.content_type, metadata=dict(m.metadata),
                      create_time=_time(m.create_time), update_time=_time(m.update_time))


def _precondition(create_only: bool, if_match: str, must_exist: bool) -> Optional[doc_pb.Precondition]:
    if int(create_only) + int(bool(if_match)) + int(must_exist) > 1:
        raise ValueError("set at most one of create_only, if_match and must_exist")
    if create_only:
        return doc_pb.Precondition(exists=False)
    if if_match:
        return doc_pb.Precondition(etag=if_match)
    if must_exist:
        return doc_pb.Precondition(exists=True)
    return None


def _chunks(source: Source, size: int) -> Iterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for i in range(0, len(view), size):
            yield bytes(view[i:i + size])
    elif hasattr(source, "read"):
        while True:
            block = source.read(size)  # type: ignore[union-attr]
            if not block:
                return
            yield block
    else:
        for block in source:  # type: ignore[union-attr]
            for i in range(0, len(block), size):
                yield bytes(block[i:i + size])


class Objects:
    """The ObjectService calls of a ``Client`` (``client.objects``)."""

    def __init__(self, client: Any, channel: grpc.Channel) -> None:
        self._client = client
        #: The generated ObjectService stub (errors are not converted, no retry).
        self.stub = os_grpc.ObjectServiceStub(channel)

    @property
    def timeout(self) -> Optional[float]:
        """The client's default deadline, in seconds."""
        return self._client.timeout

    def _call(self, method: Callable[..., Any], request: Any, timeout: Optional[float]) -> Any:
        return self._client._call(method, request, timeout)

    def upload(self, collection: str, id: str, source: Source, *, content_type: str = "",
               metadata: Optional[Dict[str, str]] = None, create_only: bool = False, if_match: str = "",
               must_exist: bool = False, expected_size: int = 0, expected_sha256: str = "",
               chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Optional[Progress] = None,
               timeout: Optional[float] = None) -> ObjectInfo:
        """Stores ``source`` as the object (collection, id) in one stream and returns its metadata.

        ``create_only`` raises ``AlreadyExistsError`` (OBJECT_ALREADY_EXISTS) when it exists;
        ``if_match`` replaces only that version (``EtagMismatchError``); ``expected_size`` and
        ``expected_sha256`` are verified by the server before anything is visible.
        """
        header = os_pb.UploadRequest(header=obj_pb.UploadHeader(
            collection=collection, id=id, content_type=content_type, metadata=metadata or {},
            expected_size=expected_size, expected_sha256=expected_sha256,
            precondition=_precondition(create_only, if_match, must_exist)))

        def requests() -> Iterator[os_pb.UploadRequest]:
            yield header
            sent = 0
            for chunk in _chunks(source, chunk_size):
                yield os_pb.UploadRequest(data=chunk)
                sent += len(chunk)
                if progress is not None:
                    progress(sent)
            yield os_pb.UploadRequest(finish_write=True)

        try:
            res = self.stub.Upload(requests(), timeout=timeout if timeout is not None else self.timeout)
        except grpc.RpcError as err:
            raise error_from_rpc_error(err) from None
        return object_from_proto(res.object)

    def upload_file(self, collection: str, id: str, path: Union[str, os.PathLike], **kwargs: Any) -> ObjectInfo:
        """Uploads the file at ``path``, declaring its size (the server refuses another byte count)."""
        kwargs.setdefault("expected_size", os.path.getsize(path))
        with open(path, "rb") as f:
            return self.upload(collection, id, f, **kwargs)

    def upload_resumable(self, collection: str, id: str, source: ResumableSource, *, content_type: str = "",
                         metadata: Optional[Dict[str, str]] = None, create_only: bool = False, if_match: str = "",
                         must_exist: bool = False, expected_size: Optional[int] = None, expected_sha256: str = "",
                         upload_id: str = "", on_upload_id: Optional[Callable[[str], None]] = None,
                         max_resumes: int = 10, chunk_size: int = DEFAULT_CHUNK_SIZE,
                         progress: Optional[Callable[[UploadProgress], None]] = None,
                         timeout: Optional[float] = None) -> ObjectInfo:
        """Stores ``source`` (bytes, a file path, or a seekable binary file) through a resumable upload.

        It continues by itself after UNAVAILABLE, a lost connection or UPLOAD_BUSY
        (query the committed size, seek, write; see object_upload.py), giving up
        after ``max_resumes`` resumes in a row that commit nothing (-1: never resume).
        ``on_upload_id`` learns the id before any byte is sent; pass it back as
        ``upload_id`` to continue after a restart (the header arguments are then
        ignored). ``expected_size`` defaults to the source's size; ``timeout``
        bounds each call.
        """
        up = ResumableUpload(self, source, chunk_size=chunk_size, max_resumes=max_resumes, on_upload_id=on_upload_id,
                             progress=progress, timeout=timeout, to_object=object_from_proto,
                             sleep=self._client._sleep)
        header = obj_pb.UploadHeader(
            collection=collection, id=id, content_type=content_type, metadata=metadata or {},
            expected_size=up.size if expected_size is None else expected_size, expected_sha256=expected_sha256,
            precondition=_precondition(create_only, if_match, must_exist))
        return up.run(header, upload_id)  # type: ignore[no-any-return]

    def abort_upload(self, upload_id: str, *, timeout: Optional[float] = None) -> None:
        """Discards an unfinished resumable upload and its stored parts (``NotFoundError`` when unknown)."""
        self._call(self.stub.AbortUpload, os_pb.AbortUploadRequest(upload_id=upload_id), timeout)

    def upload_status(self, upload_id: str, *, timeout: Optional[float] = None) -> UploadStatus:
        """A resumable upload's committed size, and its object once complete."""
        res = self._call(self.stub.QueryUploadStatus, os_pb.QueryUploadStatusRequest(upload_id=upload_id), timeout)
        return UploadStatus(committed=res.committed_size, object=object_from_proto(res.object) if res.complete else None)

    def download(self, collection: str, id: str, sink: IO[bytes], *, offset: int = 0, length: int = 0,
                 if_match: str = "", max_resumes: int = 5, progress: Optional[Progress] = None,
                 timeout: Optional[float] = None) -> ObjectInfo:
        """Writes the object (or ``length`` bytes from ``offset``; 0: to the end) to ``sink``.

        An interruption (UNAVAILABLE, a lost connection) continues from the bytes
        written, pinned to the first message's etag; a whole-object download is
        checked against the object's SHA-256 (``ObjectChecksumError``).
        """
        digest = hashlib.sha256() if offset == 0 and length == 0 else None
        info: Optional[ObjectInfo] = None
        received = 0
        for attempt in range(max_resumes + 1):
            req = os_pb.DownloadRequest(collection=collection, id=id, offset=offset + received,
                                        length=length - received if length > 0 else 0,
                                        if_match=info.etag if info is not None else if_match)
            try:
                for m in self.stub.Download(req, timeout=timeout if timeout is not None else self.timeout):
                    if info is None and m.HasField("object"):
                        info = object_from_proto(m.object)
                    if not m.data:
                        continue
                    if m.offset != offset + received:
                        raise SmarterBaseError(grpc.StatusCode.INTERNAL, "", f"data at offset {m.offset}, expected {offset + received}")
                    sink.write(m.data)
                    if digest is not None:
                        digest.update(m.data)
                    received += len(m.data)
                    if progress is not None:
                        progress(received)
                break
            except grpc.RpcError as err:
                error = error_from_rpc_error(err)
                resumable = error.code in _RESUMABLE_CODES or (error.code in _LOST_CONNECTION_CODES and not error.reason)
                if attempt >= max_resumes or not resumable:
                    raise error from None
        assert info is not None, "a download that ended OK sent its metadata first"
        if digest is not None and info.sha256 and digest.hexdigest() != info.sha256:
            raise ObjectChecksumError(f"{collection}/{id}: got sha256 {digest.hexdigest()}, the object has {info.sha256}")
        return info

    def download_file(self, collection: str, id: str, path: Union[str, os.PathLike], **kwargs: Any) -> ObjectInfo:
        """Downloads the whole object into ``path`` via ``path + ".part"``, renamed once verified."""
        part = f"{os.fspath(path)}.part"
        try:
            with open(part, "wb") as f:
                info = self.download(collection, id, f, **kwargs)
        except BaseException:
            if os.path.exists(part):
                os.remove(part)
            raise
        os.replace(part, path)
        return info

    def stat(self, collection: str, id: str, *, timeout: Optional[float] = None) -> ObjectInfo:
        """Returns an object's metadata; ``NotFoundError`` (OBJECT_NOT_FOUND) when there is none."""
        res = self._call(self.stub.StatObject, os_pb.StatObjectRequest(collection=collection, id=id), timeout)
        return object_from_proto(res.object)

    def delete(self, collection: str, id: str, *, etag: str = "", timeout: Optional[float] = None) -> bool:
        """Deletes an object (only version ``etag`` when given); False when none existed."""
        res = self._call(self.stub.DeleteObject, os_pb.DeleteObjectRequest(collection=collection, id=id, etag=etag),
                         timeout)
        return bool(res.deleted)

    def list(self, collection: str, *, page_size: int = 0, page_token: str = "", id_prefix: str = "",
                     keys_only: bool = False, timeout: Optional[float] = None) -> ObjectPage:
        """One page of a collection's objects in id order."""
        req = os_pb.ListObjectsRequest(collection=collection, page_size=page_size, page_token=page_token,
                                       id_prefix=id_prefix, keys_only=keys_only)
        res = self._call(self.stub.ListObjects, req, timeout)
        return ObjectPage(objects=[object_from_proto(m) for m in res.objects], next_page_token=res.next_page_token)
