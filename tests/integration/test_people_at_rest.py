"""Personal data at rest, against the real engine: names, a phone number and an address
planted in a case through the edge (the account's name, the 諮問書's contact) are in no
read-model table but ``people`` (nor anywhere in the SQLite file's bytes), and the desk still
shows them to the department head whose case it is. With ``encrypt_documents`` on, the
generated 諮問書 PDF on disk (0600 in 0700 folders) holds neither ``%PDF`` nor the names, and
the desk's download is the real PDF with them in it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import stat
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, inspect
from sqlalchemy import text as sql_text
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from edge.audit import ensure_audit_key
from edge.cases import CaseService
from edge.connect import Edge
from edge.documents import document_request, generate
from edge.identity import proven
from models.accounts import UserRole
from models.case.record import Actor, TransitionRecord
from models.case.states import CaseState, Role
from models.documents.spec import DocumentInfo
from models.projection import CaseSummary
from persistence.database import make_engine
from persistence.files import MAGIC
from persistence.repository import project_transition
from persistence.seal import Sealer
from persistence.tables import UserRow
from settings import Settings
from tests.document_readback import pdf_text, squeeze
from tests.factories import document
from tests.integration.conftest import municipality
from tests.keys import TEST_KEYRING_ENV
from web.app import create_app
from web.deps import Desk
from worker import build_worker

PW = "people-at-rest-password"
HEAD_NAME = "蒼井遥香"  # the department head's display name: the actor of every act
CONTACT_NAME = "榊原真知子"  # the counterparty's contact person, in the 諮問書
PHONE = "090-4417-2863"
ADDRESS = "横浜市中区港町9丁目8番7号"
LEGACY_NAME = "鷲尾千景"  # an account and an act from before the people table
PLANTED = (HEAD_NAME, CONTACT_NAME, PHONE, ADDRESS, LEGACY_NAME)


@dataclass
class Planted:
    desk: Desk
    http: httpx.AsyncClient
    settings: Settings
    case_id: str
    pdf: DocumentInfo


@pytest.fixture
async def planted(
    temporal_env: WorkflowEnvironment, executor: ThreadPoolExecutor, tmp_path: Path
) -> AsyncIterator[Planted]:
    """A case filed and submitted by a department head whose name, and whose 諮問書's contact
    (name, phone, address), are the planted strings; the desk logged in as that head. The
    read model starts as one from before the people table: an account and an act with the
    legacy name in plain text, which the worker's start moves."""
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'read_model.db'}",
        keyring=SecretStr(TEST_KEYRING_ENV),
        encrypt_documents=True,
    )
    engine = make_engine(settings.read_model_url)
    _legacy_rows(engine, ensure_audit_key(settings))
    town = municipality()
    client = temporal_env.client
    async with build_worker(client, settings, executor, engine=engine, municipality=town):
        gateway = CaseService(client, settings, town)
        app = create_app(settings, edge=Edge(client, settings, town))
        desk: Desk = app.state.desk
        head = desk.users.add(
            username="aoi", display_name=HEAD_NAME, roles=[UserRole.department_head],
            department="保健センター", password=PW,
        )  # fmt: skip
        contact = f"予約システム事業者（担当 {CONTACT_NAME}、電話 {PHONE}、{ADDRESS}）"
        snap = await gateway.create_case(
            document=document(counterparty=contact), actor=proven(head, Role.department)
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            csrf = await _log_in(http, "aoi")
            resp = await http.post(f"/cases/{snap.case_id}/acts/submit", data={"csrf_token": csrf})
            assert resp.status_code == 303, resp.text
            request = document_request(snap.case_id, None, "shimonsho", "pdf", public=False)
            (pdf,) = await generate(client, settings, request)
            yield Planted(desk, http, settings, snap.case_id, pdf)
        desk.engine.dispose()
    engine.dispose()


def _legacy_rows(engine: Engine, sealer: Sealer) -> None:
    """What the read model held before the people table: names in ``users`` and in
    ``case_transitions`` (sealed with the v1 MAC over the name)."""
    now = dt.datetime.now(dt.UTC)
    legacy = Actor(role=Role.secretariat, name=f"{LEGACY_NAME}(washio)", username="washio")
    summary = CaseSummary(
        case_id="legacy-case", external_ref=None, title="件名", kind="outsourcing",
        category="consultation", department="保健センター", state="draft", fiscal_year=2026,
        seq=0, next_deadline=None, next_deadline_what=None, parent_case=None,
    )  # fmt: skip
    first = TransitionRecord(
        seq=0, trigger=None, source=None, dest=CaseState.draft, actor=legacy, at=now, on=now.date()
    )
    with Session(engine) as session:
        session.add(
            UserRow(
                username="washio", display_name=LEGACY_NAME, roles="secretariat",
                password_hash="x", created_at=now, updated_at=now,
            )
        )  # fmt: skip
        project_transition(session, summary=summary, transition=first, now=now, sealer=sealer)
        session.commit()
    with engine.connect() as conn:  # the name is in the file now
        names = conn.execute(sql_text("SELECT actor_name FROM case_transitions")).scalars().all()
    assert names == [f"{LEGACY_NAME}(washio)"]


async def _log_in(http: httpx.AsyncClient, username: str) -> str:
    page = (await http.get("/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    form = {"username": username, "password": PW, "csrf_token": token.group(1)}
    assert (await http.post("/login", data=form)).status_code == 303
    found = re.search(r'name="csrf_token" value="([^"]+)"', (await http.get("/cases")).text)
    assert found
    return found.group(1)


def _hits_in_tables(p: Planted) -> dict[str, list[str]]:
    """Each planted string → the ``table.column`` cells holding it (UTF-8), ``people`` aside."""
    hits: dict[str, list[str]] = {s: [] for s in PLANTED}
    engine = p.desk.engine
    names = set(inspect(engine).get_table_names()) - {"people"}
    assert {"cases", "case_transitions", "users", "audit_records"} <= names
    with engine.connect() as conn:
        for table in sorted(names):
            for row in conn.execute(sql_text(f"SELECT * FROM {table}")).mappings():
                for column, value in row.items():
                    data = value if isinstance(value, bytes) else str(value).encode()
                    for s in PLANTED:
                        if s.encode() in data:
                            hits[s].append(f"{table}.{column}")
    return hits


def _hits_in_files(folder: Path) -> dict[str, list[str]]:
    """Each planted string → the read model's files (database, WAL) holding its UTF-8 bytes."""
    files = sorted(folder.glob("read_model.db*"))
    assert files
    return {s: [f.name for f in files if s.encode() in f.read_bytes()] for s in PLANTED}


async def test_planted_personal_data_is_only_in_people_and_the_desk_shows_it(
    planted: Planted,
) -> None:
    p = planted
    assert _hits_in_tables(p) == {s: [] for s in PLANTED}
    assert _hits_in_files(p.settings.data_dir) == {s: [] for s in PLANTED}
    with p.desk.engine.connect() as conn:
        refs = conn.execute(
            sql_text("SELECT actor_ref FROM case_transitions WHERE case_id = :c"), {"c": p.case_id}
        ).scalars()
        assert len(set(refs)) == 1
        assert conn.execute(sql_text("SELECT count(*) FROM people")).scalar_one() == 2
    assert p.desk.audit.verify().ok  # the legacy act re-sealed over its ref
    assert p.desk.users.get("washio").display_name == LEGACY_NAME

    page = (await p.http.get(f"/cases/{p.case_id}")).text
    timeline = page[page.index("timeline-title") :]
    assert timeline.count(f"{HEAD_NAME}(aoi)") == 2  # who filed it and who submitted it


async def test_a_sealed_document_file_downloads_as_the_real_pdf(planted: Planted) -> None:
    p = planted
    on_disk = Path(p.pdf.path)
    raw = on_disk.read_bytes()
    assert raw.startswith(MAGIC)
    assert b"%PDF" not in raw
    for s in PLANTED:
        assert s.encode() not in raw
    assert stat.S_IMODE(on_disk.stat().st_mode) == 0o600
    for folder in (on_disk.parent, p.settings.documents_path):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700

    resp = await p.http.get(f"/cases/{p.case_id}/documents/{p.pdf.id}")
    assert resp.status_code == 200, resp.text
    assert resp.content.startswith(b"%PDF-")
    assert hashlib.sha256(resp.content).hexdigest() == p.pdf.sha256
    text = squeeze(pdf_text(resp.content))
    assert CONTACT_NAME in text and squeeze(PHONE) in text

    on_disk.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))  # one bit of the ciphertext flipped
    resp = await p.http.get(f"/cases/{p.case_id}/documents/{p.pdf.id}")
    assert resp.status_code == 409
