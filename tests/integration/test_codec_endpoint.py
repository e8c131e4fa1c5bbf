"""The desk's codec endpoint for the Temporal Web UI, against the real engine: an admin's
session decodes a case's real (encrypted) history payloads and encodes new ones; a department
head gets 403 and nobody logged in 401; CORS answers only the UI's origin, with credentials;
a page of another origin, a form post or a request without X-Namespace is refused; every
decode and every refusal is in the audit trail."""

from __future__ import annotations

import base64
import json

import httpx2 as httpx
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from models.ids import case_workflow_id
from tests.integration.test_desk_audit import DeskClient, desk_client

__all__ = ["desk_client"]  # the fixture

UI = "http://127.0.0.1:8233"  # Settings.codec_origin with the default ui_port
JSON_HEADERS = {"Content-Type": "application/json", "X-Namespace": "default", "Origin": UI}


async def started_input(d: DeskClient) -> dict[str, object]:
    """The case workflow's input as the server stores it: encrypted payloads."""
    history = await d.system.client.get_workflow_handle(case_workflow_id(d.ours)).fetch_history()
    payloads = history.events[0].workflow_execution_started_event_attributes.input
    assert payloads.payloads[0].metadata["encoding"] == b"binary/encrypted"
    return json_format.MessageToDict(payloads)


async def test_an_admin_decodes_the_real_history_and_others_are_refused(
    desk_client: DeskClient,
) -> None:
    d = desk_client
    encrypted = await started_input(d)
    assert "集団検診".encode() not in json.dumps(encrypted).encode()

    transport = d.transport
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as anonymous:
        resp = await anonymous.post("/codec/decode", json=encrypted, headers=JSON_HEADERS)
        assert resp.status_code == 401
        assert resp.headers["access-control-allow-origin"] == UI  # the UI can read the refusal
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as kacho:
        await d.log_in("kacho", kacho)
        resp = await kacho.post("/codec/decode", json=encrypted, headers=JSON_HEADERS)
        assert resp.status_code == 403
        assert resp.json() == {
            "error": "session: not an admin (the codec is for admins of the desk)"
        }

    await d.log_in("admin")
    resp = await d.http.post("/codec/decode", json=encrypted, headers=JSON_HEADERS)
    assert resp.status_code == 200, resp.text
    assert resp.headers["access-control-allow-origin"] == UI
    assert resp.headers["access-control-allow-credentials"] == "true"
    [decoded] = resp.json()["payloads"]
    assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"
    case_input = json.loads(base64.b64decode(decoded["data"]))
    assert "集団検診" in json.dumps(case_input, ensure_ascii=False)

    # the UI's "download" endpoint style: a trailing slash and a double slash still decode
    resp = await d.http.post("/codec//decode", json=encrypted, headers=JSON_HEADERS)
    assert resp.status_code == 200

    plain = json_format.MessageToDict(Payloads(payloads=[{"metadata": {"encoding": b"json/plain"},
                                                          "data": b'"x"'}]))  # fmt: skip
    resp = await d.http.post("/codec/encode", json=plain, headers=JSON_HEADERS)
    [sealed] = resp.json()["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == b"binary/encrypted"
    back = await d.http.post("/codec/decode", json=resp.json(), headers=JSON_HEADERS)
    assert back.json() == plain

    codec_records = [r for r in d.records() if r[2].startswith("codec")]
    assert codec_records == [
        ("", "", "codec_refused", None, "decode: not logged in", "127.0.0.1"),
        ("kacho", "department_head", "codec_refused", None, "decode: not an admin", "127.0.0.1"),
        ("admin", "admin", "codec_decode", None, "namespace default: 1 payloads", "127.0.0.1"),
        ("admin", "admin", "codec_decode", None, "namespace default: 1 payloads", "127.0.0.1"),
        ("admin", "admin", "codec_encode", None, "namespace default: 1 payloads", "127.0.0.1"),
        ("admin", "admin", "codec_decode", None, "namespace default: 1 payloads", "127.0.0.1"),
    ]


async def test_cors_answers_only_the_ui_and_cross_site_requests_are_refused(
    desk_client: DeskClient,
) -> None:
    d = desk_client
    preflight = {"Origin": UI, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-namespace"}  # fmt: skip
    resp = await d.http.options("/codec/decode", headers=preflight)
    assert resp.status_code == 204
    assert resp.headers["access-control-allow-origin"] == UI
    assert resp.headers["access-control-allow-credentials"] == "true"
    assert resp.headers["access-control-allow-headers"] == "Content-Type, X-Namespace"
    assert resp.headers["access-control-allow-methods"] == "POST"

    evil = {**preflight, "Origin": "http://127.0.0.1:9999"}
    resp = await d.http.options("/codec/decode", headers=evil)
    assert resp.status_code == 403 and "access-control-allow-origin" not in resp.headers

    await d.log_in("admin")
    body = {"payloads": []}
    resp = await d.http.post("/codec/decode", json=body, headers={**JSON_HEADERS, **evil})
    assert (resp.status_code, resp.json()["error"]) == (403, "Origin: not the Temporal UI's origin")
    form = await d.http.post(
        "/codec/decode", content="payloads=x", headers={"Origin": UI, "X-Namespace": "default",
                                                         "Content-Type": "text/plain"},
    )  # fmt: skip
    assert (form.status_code, form.json()["error"]) == (
        415,
        "Content-Type: must be application/json",
    )
    no_ns = await d.http.post("/codec/decode", json=body, headers={"Origin": UI})
    assert no_ns.status_code == 400
    assert no_ns.json()["error"] == "X-Namespace: missing (the codec protocol's header)"
    bad = await d.http.post("/codec/decode", json={"payloads": [{"metadat": 1}]},
                            headers=JSON_HEADERS)  # fmt: skip
    assert bad.status_code == 400 and bad.json()["error"].startswith("payloads: not Temporal")
    assert not [r for r in d.records() if r[2] == "codec_decode"]  # nothing was decoded
