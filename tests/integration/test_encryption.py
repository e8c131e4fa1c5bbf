"""Payload encryption on a real dev server (issue 12): personal strings put into a case are
nowhere in the server's SQLite file (and WAL) nor in `temporal workflow show`; a client
without the key sees ciphertext; a key rotation mid-case keeps the case working."""

from __future__ import annotations

import asyncio
import base64
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from edge.cases import CaseService
from edge.codec import ENCODING, KEY_ID, Keyring, UnknownKeyError, data_converter
from models import search_attributes as sa
from models.ids import case_workflow_id
from persistence.database import make_engine
from settings import Settings
from tests.conftest import SERVER_STARTUP
from tests.factories import act, actor, document
from tests.integration.conftest import TEMPORAL_BIN, municipality
from worker import build_worker

NAME = "鈴木一郎左衛門"
PHONE = "090-8765-4321"
ADDRESS = "東京都千代田区霞が関九丁目八番七号"
SECRETS = (NAME, PHONE, ADDRESS)
WAL_ARGS = ["--sqlite-pragma", "journal_mode=wal"]


def forms(secret: str) -> list[bytes]:
    """The secret as UTF-8, as JSON \\uXXXX escapes, and base64 of its UTF-8 bytes."""
    escaped = "".join(c if ord(c) < 128 else f"\\u{ord(c):04x}" for c in secret)
    return [secret.encode(), escaped.encode(), base64.b64encode(secret.encode())]


def hits(blob: bytes) -> int:
    return sum(blob.count(form) for secret in SECRETS for form in forms(secret))


def db_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


async def workflow_show(address: str, workflow_id: str) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        str(TEMPORAL_BIN),
        *("workflow", "show", "--address", address, "--workflow-id", workflow_id),
        *("--output", "json"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    # payload data shown as base64: decode it too, so only ciphertext can pass
    decoded = b"".join(
        base64.b64decode(m) for m in re.findall(rb'"data":\s*"([A-Za-z0-9+/=]+)"', out)
    )
    return out + decoded


async def start(db: Path, converter: DataConverter) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_startup_timeout=SERVER_STARTUP,
        dev_server_existing_path=str(TEMPORAL_BIN),
        dev_server_database_filename=str(db),
        dev_server_extra_args=WAL_ARGS,
        search_attributes=sa.ALL,
        data_converter=converter,
    )


def settings_for(tmp_path: Path) -> Settings:
    return Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'read_model.db'}",
    )


async def plant(
    env: WorkflowEnvironment, client: Client, settings: Settings, pool: ThreadPoolExecutor
) -> str:
    """A case whose 諮問書 and actor carry the personal strings; submitted once."""
    town = municipality()
    engine = make_engine(settings.read_model_url)
    async with build_worker(client, settings, pool, engine=engine, max_cached_workflows=0):
        cases = CaseService(client, settings, town)
        doc = document(
            title=f"{NAME}様の相談記録の外部提供",
            reason=f"本人 {NAME}（電話 {PHONE}、住所 {ADDRESS}）からの申出による",
            counterparty=f"{ADDRESS} 所在の事業者",
        )
        snap = await cases.create_case(document=doc, actor=actor("department", NAME))
        await cases.act(snap.case_id, act("submit", "department"))
    engine.dispose()
    return snap.case_id


async def test_plaintext_control_the_scan_finds_unencrypted_strings(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    """Without the codec (main before issue 12) the same scan finds every string."""
    env = await start(tmp_path / "temporal.db", pydantic_data_converter)
    try:
        case_id = await plant(env, env.client, settings_for(tmp_path), executor)
        address = env.client.service_client.config.target_host
        shown = await workflow_show(address, case_workflow_id(case_id))
        found_db = [
            s for s in SECRETS if any(f in db_bytes(tmp_path / "temporal.db") for f in forms(s))
        ]
        found_show = [s for s in SECRETS if any(f in shown for f in forms(s))]
        print(
            f"plaintext: db {len(found_db)}/3 ({hits(db_bytes(tmp_path / 'temporal.db'))} hits), show {len(found_show)}/3"
        )
        assert found_db == list(SECRETS) and found_show == list(SECRETS)
    finally:
        await env.shutdown()


async def test_no_personal_string_in_the_server_and_rotation_mid_case(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    db = tmp_path / "temporal.db"
    first = Keyring.generate()
    env = await start(db, data_converter(first))
    try:
        settings = settings_for(tmp_path)
        case_id = await plant(env, env.client, settings, executor)
        address = env.client.service_client.config.target_host
        workflow_id = case_workflow_id(case_id)

        # (a) zero hits in the SQLite file (+ WAL) and in `temporal workflow show`
        shown = await workflow_show(address, workflow_id)
        print(f"encrypted: db {hits(db_bytes(db))} hits, show {hits(shown)} hits")
        assert hits(db_bytes(db)) == 0
        assert hits(shown) == 0

        # (c) a client without the key sees ciphertext
        keyless = await Client.connect(address, data_converter=pydantic_data_converter)
        history = await keyless.get_workflow_handle(workflow_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        [payload] = started.input.payloads
        assert payload.metadata["encoding"] == ENCODING
        assert payload.metadata[KEY_ID] == first.current.encode()
        assert hits(payload.SerializeToString()) == 0

        # (b) rotate mid-case; a worker restarted on the rotated keyring carries on
        second = first.rotated()
        rotated = await Client.connect(address, data_converter=data_converter(second))
        town_settings = settings
        engine = make_engine(town_settings.read_model_url)
        async with build_worker(
            rotated, town_settings, executor, engine=engine, max_cached_workflows=0
        ):
            cases = CaseService(rotated, town_settings, municipality())
            moved = await cases.act(
                case_id, act("require_consultation", "secretariat", {"reason": "特に必要"})
            )
            assert moved.state == "precheck"
            snap = await cases.snapshot(case_id)
            assert ADDRESS in (snap.document.counterparty or "")
        engine.dispose()
        history = await rotated.get_workflow_handle(workflow_id).fetch_history()
        key_ids = {
            p.metadata[KEY_ID].decode()
            for e in history.events
            for p in _payloads(e)
            if KEY_ID in p.metadata
        }
        assert key_ids == {first.current, second.current}
        assert hits(db_bytes(db)) == 0

        # only the new key: the old payloads fail loudly, naming the old key
        only_new = Keyring(keys=(second.current_key,), current=second.current)
        with pytest.raises(UnknownKeyError, match=first.current):
            await data_converter(only_new).decode([payload], [object])
    finally:
        await env.shutdown()


def _payloads(event: Message) -> list[Payload]:
    found: list[Payload] = []

    def walk(msg: Message) -> None:
        if isinstance(msg, Payload):
            found.append(msg)
            return
        for field, value in msg.ListFields():
            if field.message_type is None:
                continue
            if isinstance(value, Message):
                items = [value]
            elif field.message_type.GetOptions().map_entry:
                items = list(value.values())
            else:
                items = list(value)
            for item in items:
                if isinstance(item, Message):
                    walk(item)

    walk(event)
    return found
