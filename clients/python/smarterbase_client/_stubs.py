"""Imports the generated protobuf and gRPC modules.

The generated tree (``clients/python/gen``) imports itself as
``smarterbase.v1.*``. When the ``smarterbase`` package is not installed (for
example when running from a source checkout), this module puts the generated
tree on ``sys.path`` so those imports resolve. Only this module touches the
generated code's location; everything else imports the stubs from here.
"""
from __future__ import annotations

import importlib.util
import os
import sys

_GEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gen")

if importlib.util.find_spec("smarterbase") is None and os.path.isdir(_GEN_DIR):  # pragma: no branch
    sys.path.insert(0, _GEN_DIR)

from smarterbase.v1 import document_pb2 as document_pb2  # noqa: E402
from smarterbase.v1 import document_service_pb2 as document_service_pb2  # noqa: E402
from smarterbase.v1 import document_service_pb2_grpc as document_service_pb2_grpc  # noqa: E402
from smarterbase.v1 import common_pb2 as common_pb2  # noqa: E402
from smarterbase.v1 import index_pb2 as index_pb2  # noqa: E402
from smarterbase.v1 import query_pb2 as query_pb2  # noqa: E402
from smarterbase.v1 import query_service_pb2 as query_service_pb2  # noqa: E402
from smarterbase.v1 import query_service_pb2_grpc as query_service_pb2_grpc  # noqa: E402
from smarterbase.v1 import admin_service_pb2 as admin_service_pb2  # noqa: E402
from smarterbase.v1 import admin_service_pb2_grpc as admin_service_pb2_grpc  # noqa: E402
from smarterbase.v1 import lock_pb2 as lock_pb2  # noqa: E402
from smarterbase.v1 import lock_service_pb2 as lock_service_pb2  # noqa: E402
from smarterbase.v1 import lock_service_pb2_grpc as lock_service_pb2_grpc  # noqa: E402
from smarterbase.v1 import stream_service_pb2 as stream_service_pb2  # noqa: E402
from smarterbase.v1 import stream_service_pb2_grpc as stream_service_pb2_grpc  # noqa: E402
from smarterbase.v1 import object_pb2 as object_pb2  # noqa: E402
from smarterbase.v1 import object_service_pb2 as object_service_pb2  # noqa: E402
from smarterbase.v1 import object_service_pb2_grpc as object_service_pb2_grpc  # noqa: E402

__all__ = [
    "admin_service_pb2",
    "admin_service_pb2_grpc",
    "common_pb2",
    "document_pb2",
    "document_service_pb2",
    "document_service_pb2_grpc",
    "index_pb2",
    "lock_pb2",
    "lock_service_pb2",
    "lock_service_pb2_grpc",
    "query_pb2",
    "query_service_pb2",
    "query_service_pb2_grpc",
    "stream_service_pb2",
    "stream_service_pb2_grpc",
]
