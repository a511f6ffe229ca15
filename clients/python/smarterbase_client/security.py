"""Transport security and credentials of the client: TLS (the server
verified against the system roots or a given CA), mTLS (a client
certificate), and an API key sent as ``authorization: Bearer <key>``
metadata on every call."""
from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

import grpc


@dataclass(frozen=True)
class TlsConfig:
    """PEM material for TLS. Every field is optional: ``TlsConfig()`` verifies
    the server against the system roots and presents no client certificate.

    Attributes:
        ca: CA bundle the server's certificate must chain to (a private CA).
        cert: Client certificate (chain allowed) for mTLS; with ``key``.
        key: Private key of ``cert``.
        server_name: Name the server's certificate must carry when it differs
            from the address's host.
    """

    ca: Optional[bytes] = None
    cert: Optional[bytes] = None
    key: Optional[bytes] = None
    server_name: Optional[str] = None

    @classmethod
    def from_files(cls, ca_file: Optional[str] = None, cert_file: Optional[str] = None,
                   key_file: Optional[str] = None, server_name: Optional[str] = None) -> "TlsConfig":
        """Reads the PEM files (None: not set); raises OSError for an unreadable file."""

        def read(path: Optional[str]) -> Optional[bytes]:
            if path is None:
                return None
            with open(path, "rb") as f:
                return f.read()

        return cls(ca=read(ca_file), cert=read(cert_file), key=read(key_file), server_name=server_name)

    def credentials(self) -> grpc.ChannelCredentials:
        """The gRPC channel credentials of this configuration."""
        if (self.cert is None) != (self.key is None):
            raise ValueError("TlsConfig: cert and key go together")
        return grpc.ssl_channel_credentials(root_certificates=self.ca, private_key=self.key, certificate_chain=self.cert)

    def channel_options(self) -> List[Tuple[str, Any]]:
        """Channel options this configuration needs (the server name override)."""
        return [] if self.server_name is None else [("grpc.ssl_target_name_override", self.server_name)]


class _CallDetails(collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials",
                                                            "wait_for_ready", "compression")),
                   grpc.ClientCallDetails):
    """A ClientCallDetails with its metadata replaced."""


class ApiKeyInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                        grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds ``authorization: Bearer <key>`` to the metadata of every call (every
    retry is a new call, so it carries the key too). Works on plaintext
    channels as well, unlike call credentials: a server on loopback."""

    def __init__(self, api_key: str) -> None:
        if not api_key or "\n" in api_key or "\r" in api_key:
            raise ValueError("api_key must be a non-empty single line")
        self._header = ("authorization", f"Bearer {api_key}")

    def _details(self, d: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = [m for m in (d.metadata or ()) if m[0] != "authorization"] + [self._header]
        return _CallDetails(d.method, d.timeout, metadata, d.credentials,
                            getattr(d, "wait_for_ready", None), getattr(d, "compression", None))

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, requests: Any) -> Any:
        return continuation(self._details(details), requests)
