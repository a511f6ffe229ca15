"""The Python runner of the client conformance scenarios.

``test/conformance/scenarios.json`` is shared with the TS and Go runners: every
scenario runs against the live server in a fresh collection, and each step's
result or error is checked against the file (see docs/clients.md).
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, List

import pytest

from smarterbase_client import Client, Lease, SmarterBaseError, code_is, has_reason

_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "test", "conformance", "scenarios.json")
with open(_FILE, encoding="utf-8") as fh:
    CONFORMANCE = json.load(fh)

#: The file's predicate names, mapped to this client's predicates.
PREDICATES: Dict[str, Callable[[SmarterBaseError], bool]] = {
    "notFound": lambda e: e.is_not_found,
    "alreadyExists": lambda e: e.is_already_exists,
    "etagMismatch": lambda e: e.is_etag_mismatch,
    "lockHeld": lambda e: e.is_lock_held,
    "lockNotHeld": lambda e: e.is_lock_not_held,
    "preconditionFailed": lambda e: e.is_precondition_failed,
    "transactionContention": lambda e: e.is_transaction_contention,
    "unavailable": lambda e: e.is_unavailable,
}


def resolve(value: Any, variables: Dict[str, Any]) -> Any:
    """Replaces ``"$name"`` strings (deeply) with saved variables."""
    if isinstance(value, str) and value.startswith("$"):
        return variables[value[1:]]
    if isinstance(value, list):
        return [resolve(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, variables) for k, v in value.items()}
    return value


def subset(want: Any, got: Any) -> bool:
    """True when ``want`` is contained in ``got`` (dicts by key, lists element-wise)."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and subset(v, got[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(subset(w, g) for w, g in zip(want, got))
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    return bool(want == got)


def _doc(d: Any) -> Dict[str, Any]:
    return {"id": d.id, "data": d.data, "etag": d.etag, "version": d.version}


def _condition(w: Dict[str, Any]) -> Dict[str, Any]:
    if "ifEtag" in w:
        return {"if_etag": w["ifEtag"]}
    if w.get("ifExists"):
        return {"if_exists": True}
    if w.get("ifNotExists"):
        return {"if_exists": False}
    return {}


def run(db: Client, col: str, call: str, a: Dict[str, Any], leases: Dict[str, Lease]) -> Dict[str, Any]:
    """Runs one call and returns its result in the file's normalized shape."""
    if call == "put":
        return _doc(db.put(col, a["id"], a["data"], create_only=bool(a.get("createOnly"))))
    if call == "putIfMatch":
        return _doc(db.put_if_match(col, a["id"], a["data"], a["etag"]))
    if call == "get":
        return _doc(db.get(col, a["id"]))
    if call == "delete":
        return {"deleted": db.delete(col, a["id"])}
    if call == "list":
        page = db.list(col, page_size=a["pageSize"], page_token=a.get("pageToken", ""))
        return {"ids": [d.id for d in page.documents], "nextPageToken": page.next_page_token,
                "more": page.next_page_token != ""}
    if call == "query":
        ids: List[str] = []
        with db.query(col, order_by=a.get("orderBy", ()), start_after=a.get("startAfter", "")) as stream:
            for d in stream:
                ids.append(d.id)
                if len(ids) == a.get("stopAfter"):
                    break
            return {"ids": ids, "resumeToken": stream.resume_token}
    if call == "acquire":
        lease = db.acquire(f"{col}_{a['lock']}", ttl=a["ttlMs"] / 1000)
        leases[a["as"]] = lease
        return {"fencingToken": lease.fencing_token}
    if call == "release":
        return {"released": db.release(leases[a["lease"]])}
    if call == "commit":
        tx = db.transaction()
        for w in a["writes"]:
            if w["op"] == "set":
                tx.set(col, w["id"], w["data"], **_condition(w))
            elif w["op"] == "delete":
                tx.delete(col, w["id"], **_condition(w))
            else:
                tx.check(col, w["id"], **_condition(w))
        return {"versions": [r.version for r in tx.commit().results]}
    if call == "getIndex":
        return {"name": db.get_index(col, a["name"]).name}
    raise AssertionError(f"unknown call {call}")


def check_error(err: SmarterBaseError, want: Dict[str, Any], where: str) -> None:
    assert (err.code.name, err.reason) == (want["code"], want["reason"]), where
    assert str(err).startswith(f"{want['code']} {want['reason']}: "), f"{where}: message {str(err)!r}"
    assert code_is(err, err.code) and has_reason(err, err.reason), where
    if "metadata" in want:
        assert subset(want["metadata"], err.metadata), f"{where}: metadata {err.metadata}"
    if "preconditionFailures" in want:
        got = [{"type": v.type, "subject": v.subject} for v in err.precondition_failures]
        assert got == want["preconditionFailures"], where
    for name, value in want.get("predicates", {}).items():
        assert PREDICATES[name](err) is value, f"{where}: predicate {name} is not {value}"


def test_runner_maps_every_predicate_of_the_file() -> None:
    assert sorted(PREDICATES) == sorted(CONFORMANCE["predicates"])


@pytest.mark.parametrize("scenario", CONFORMANCE["scenarios"], ids=lambda s: s["name"])
def test_conformance_scenario(client: Client, collection: str, scenario: Dict[str, Any]) -> None:
    variables: Dict[str, Any] = {}
    leases: Dict[str, Lease] = {}
    for i, step in enumerate(scenario["steps"]):
        where = f"{scenario['name']} step {i} ({step['call']})"
        args = resolve(step["args"], variables)
        try:
            result = run(client, collection, step["call"], args, leases)
        except SmarterBaseError as err:
            if "error" not in step:
                raise
            check_error(err, resolve(step["error"], variables), where)
            continue
        assert "error" not in step, f"{where}: expected {step['error']['reason']}, got {result}"
        if "expect" in step:
            assert subset(resolve(step["expect"], variables), result), f"{where}: got {result}, want {step['expect']}"
        for name, field in step.get("save", {}).items():
            variables[name] = result[field]
