"""Document expiry against a real server of this file's own (the embedded
default, the purger sweeping every 200 ms): a 1 s TTL reads back with its
expire_time, disappears from get once expired, and a watch from the read's
read_revision gets exactly one EXPIRE change for it."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterator, List

import pytest

from conftest import embedded_client
from smarterbase_client import Change, Client, Expiry, NotFoundError


@pytest.fixture(scope="module")
def embedded() -> Iterator[Client]:
    """A client of an embedded-default server purging every 200 ms."""
    yield from embedded_client({"SB_TTL_SWEEP_MS": "200"})


def _gone_within(db: Client, coll: str, id: str, limit: float) -> bool:
    until = time.monotonic() + limit
    while time.monotonic() < until:
        try:
            db.get(coll, id)
        except NotFoundError:
            return True
        time.sleep(0.1)
    return False


def test_ttl_read_back_gone_after_expiry_and_one_expire_change(embedded: Client) -> None:
    db = embedded
    coll = f"py-ttl-{uuid.uuid4().hex[:12]}"
    put = db.put(coll, "short", {"v": 1}, expiry=Expiry.after(1))
    assert put.expire_time is not None and put.update_time is not None
    assert timedelta(milliseconds=950) <= put.expire_time - put.update_time <= timedelta(seconds=2)
    read, read_revision = db.get_with_read_revision(coll, "short")
    assert read.expire_time == put.expire_time

    at = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0)
    assert db.create(coll, {}, id="later", expiry=Expiry.at(at)).expire_time == at
    assert db.put(coll, "kept", {}, expiry=Expiry.never()).expire_time is None

    seen: List[Change] = []
    expired = threading.Event()
    stream = db.watch(coll, after_revision=read_revision, progress_interval=0.2)

    def run() -> None:
        with stream:
            for b in stream:
                for c in b.changes:
                    seen.append(c)
                    if c.type == "EXPIRE":
                        expired.set()
                    if c.id == "marker":
                        return

    watcher = threading.Thread(target=run, daemon=True)
    watcher.start()
    timer = threading.Timer(9.0, stream.close)  # never hang the suite
    timer.daemon = True
    timer.start()

    assert _gone_within(db, coll, "short", 5.0), "the expired document is still readable 5 s after its write"
    assert expired.wait(30.0), f"no EXPIRE change; saw {[(c.type, c.id) for c in seen]}"
    # Everything the watch delivers before this marker is what it saw of the expiry.
    db.put(coll, "marker", {})
    watcher.join(5.0)
    timer.cancel()

    # The purge may land before "later"/"kept" on a slow machine: compare as a set, the marker last.
    assert sorted((c.type, c.id) for c in seen) == [
        ("EXPIRE", "short"), ("PUT", "kept"), ("PUT", "later"), ("PUT", "marker")]
    assert seen[-1].id == "marker"
    expired = next(c for c in seen if c.type == "EXPIRE")
    assert expired.document is None and expired.previous_revision == put.revision
