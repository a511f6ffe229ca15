"""The Python client over TLS and mTLS against a real server process
(certificates made for the run with the openssl CLI), and its API key:
every call carries ``authorization: Bearer <key>`` (seen by an in-process
recording gRPC server over mTLS, since the server's key check is not part
of this suite)."""
from __future__ import annotations

import os
import subprocess
import threading
from concurrent import futures
from typing import Dict, Iterator, List

import grpc
import pytest

from conftest import SERVER_MAIN, SpawnedServer
from smarterbase_client import Client, RetryPolicy, SmarterBaseError, TlsConfig, UnavailableError
from smarterbase_client._stubs import document_service_pb2_grpc


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    """A throwaway CA, a server certificate (localhost, 127.0.0.1) and a client certificate."""
    d = str(tmp_path_factory.mktemp("pki"))
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *key, "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt", "-days", "1", "-subj", "/CN=Py Test CA")
    for name, cn, usage, san in (("server", "localhost", "serverAuth", "DNS:localhost,IP:127.0.0.1"),
                                 ("client", "py-client", "clientAuth", "DNS:py-client")):
        with open(f"{d}/{name}.ext", "w") as f:
            f.write(f"basicConstraints=CA:FALSE\nextendedKeyUsage={usage}\nsubjectAltName={san}\n")
        _openssl("req", *key, "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr", "-subj", f"/CN={cn}")
        _openssl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.crt", "-CAkey", f"{d}/ca.key",
                 "-set_serial", str(abs(hash(name)) % 10**9), "-days", "1", "-extfile", f"{d}/{name}.ext",
                 "-out", f"{d}/{name}.crt")
    return {n: f"{d}/{n}" for n in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")}


@pytest.fixture(scope="module")
def mtls_port(pki: Dict[str, str]) -> Iterator[int]:
    if not os.path.isfile(SERVER_MAIN):
        pytest.fail(f"{SERVER_MAIN} is missing: run npm run build")
    server = SpawnedServer(dict(SB_TLS_CERT_FILE=pki["server.crt"], SB_TLS_KEY_FILE=pki["server.key"],
                                SB_TLS_CLIENT_CA_FILE=pki["ca.crt"]))
    try:
        yield server.wait_listening()
    finally:
        server.stop()


def test_mtls_round_trip_and_refusals(pki: Dict[str, str], mtls_port: int) -> None:
    tls = TlsConfig.from_files(pki["ca.crt"], pki["client.crt"], pki["client.key"])
    with Client(f"127.0.0.1:{mtls_port}", tls=tls, timeout=10.0) as c:
        c.put("py_tls", "a", {"v": "py"})
        assert c.get("py_tls", "a").data == {"v": "py"}
    # No client certificate, or no CA (system roots): the server is not reached.
    for bad in (TlsConfig.from_files(pki["ca.crt"]), True):
        with Client(f"127.0.0.1:{mtls_port}", tls=bad, timeout=5.0, retries=RetryPolicy.disabled()) as c:
            with pytest.raises(UnavailableError):
                c.get("py_tls", "a")
    with pytest.raises(ValueError, match="cert and key go together"):
        Client("127.0.0.1:1", tls=TlsConfig(cert=b"x"))


class _Recorder(document_service_pb2_grpc.DocumentServiceServicer):
    def __init__(self) -> None:
        self.auth: List[str] = []
        self.lock = threading.Lock()

    def Get(self, request, context):  # noqa: N802 (gRPC method name)
        with self.lock:
            self.auth += [v for k, v in context.invocation_metadata() if k == "authorization"]
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "recorded")


def test_api_key_is_sent_as_bearer_metadata_over_mtls(pki: Dict[str, str]) -> None:
    rec = _Recorder()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    document_service_pb2_grpc.add_DocumentServiceServicer_to_server(rec, server)
    read = lambda n: open(pki[n], "rb").read()  # noqa: E731
    creds = grpc.ssl_server_credentials([(read("server.key"), read("server.crt"))], root_certificates=read("ca.crt"),
                                        require_client_auth=True)
    port = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    try:
        tls = TlsConfig.from_files(pki["ca.crt"], pki["client.crt"], pki["client.key"])
        with Client(f"127.0.0.1:{port}", tls=tls, api_key="sbk_py.s3cr3t", timeout=10.0) as c:
            for _ in range(2):
                with pytest.raises(SmarterBaseError) as err:
                    c.get("c", "a")
                assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
        assert rec.auth == ["Bearer sbk_py.s3cr3t", "Bearer sbk_py.s3cr3t"]
        with pytest.raises(ValueError, match="single line"):
            Client("127.0.0.1:1", api_key="a\nb")
    finally:
        server.stop(grace=None)
