"""schemathesis against the desk's API (/api/v1/openapi.json): the real desk app served by
uvicorn on loopback, a real edge on the real dev server, real personal tokens. Every operation,
with data that fits the schema and data that does not: no 5xx, every answer's status, content
type, headers and body as the schema says, and data the schema refuses is refused (4xx).

Path ids are sometimes swapped for a real case's or session's, and an act's trigger for a real
trigger, so the generated requests reach the workflow's validators, not only the 404."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from edge.connect import Edge
from edge.councils import CouncilService
from edge.identity import proven
from models.accounts import UserRole
from models.case.states import Role, Trigger
from tests.factories import actor, document
from tests.fuzzing import examples
from tests.integration.accounts import account_token
from tests.integration.conftest import System
from tests.integration.test_sessions import council, plan
from web.app import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


@dataclass
class Target:
    base_url: str
    tokens: list[str]  # a department head's, the secretariat's, an admin's
    case_ids: list[str]  # one of 保健センター, one of 納税課
    session_ids: list[str]


@pytest.fixture
async def target(system: System) -> AsyncIterator[Target]:
    gateway = system.gateway
    ours = await gateway.create_case(document=document(title="健診予約"), actor=actor("department"))
    theirs = await gateway.create_case(
        document=document(title="滞納整理", department="納税課"),
        actor=actor("department", department="納税課"),
    )
    edge = Edge(system.client, system.settings, gateway.municipality)
    tokens = [
        account_token(system.settings, "hoken", [UserRole.department_head], "保健センター"),
        account_token(system.settings, "jimu", [UserRole.secretariat], None),
        account_token(system.settings, "kanri", [UserRole.admin, UserRole.chair], None),
    ]
    councils = CouncilService(system.client, system.settings, gateway.municipality)
    council_id = f"c{uuid.uuid4().hex[:8]}"
    await councils.register(council(council_id))
    app = create_app(system.settings, edge=edge)
    planner = proven(app.state.desk.users.get("jimu"), Role.secretariat)
    planned = await councils.plan(
        planner, plan(council_id, 1, dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Target(
        f"http://127.0.0.1:{port}/api/v1",
        tokens,
        [ours.case_id, theirs.case_id],
        [planned.session_id],
    )
    server.should_exit = True
    await serving
    app.state.desk.engine.dispose()


def _fuzz(schema: schemathesis.BaseSchema, target: Target) -> Counter[str]:
    """Every operation in both modes; the count of examples run per operation and mode."""
    ran: Counter[str] = Counter()
    for result in schema.get_all_operations():
        for mode in MODES:
            _runner(result.ok(), mode, target, ran)()
    return ran


def _runner(
    operation: schemathesis.APIOperation,
    mode: schemathesis.GenerationMode,
    target: Target,
    ran: Counter[str],
) -> Any:
    label = f"{operation.method.upper()} {operation.path} {mode.value}"

    @settings(max_examples=examples(15, deep=500))
    @given(
        case=operation.as_strategy(generation_mode=mode),
        token=st.sampled_from(target.tokens),
        real=st.booleans(),
        case_id=st.sampled_from(target.case_ids),
        trigger=st.sampled_from(list(Trigger)),
    )
    def run(
        case: schemathesis.Case, token: str, real: bool, case_id: str, trigger: Trigger
    ) -> None:
        if real and mode is schemathesis.GenerationMode.POSITIVE:
            _aim(case, case_id, target.session_ids[0], trigger)
        ran[label] += 1
        case.call_and_validate(
            base_url=target.base_url,
            headers={"Authorization": f"Bearer {token}"},
            checks=CHECKS,
            timeout=30,
        )

    return run


def _aim(case: schemathesis.Case, case_id: str, session_id: str, trigger: Trigger) -> None:
    """Point a generated request at a real case or session (and a real trigger)."""
    params: dict[str, Any] = case.path_parameters or {}
    if "case_id" in params:
        params["case_id"] = case_id
    if "session_id" in params:
        params["session_id"] = session_id
    if isinstance(case.body, dict) and "trigger" in case.body:
        case.body["trigger"] = trigger.value


async def test_every_api_operation_answers_as_its_schema_says_and_never_with_a_5xx(
    target: Target,
) -> None:
    async with httpx.AsyncClient() as client:
        doc = (await client.get(f"{target.base_url}/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(doc)
    schema.config.generation.update(with_security_parameters=False)  # our tokens, not its
    ran = await asyncio.to_thread(_fuzz, schema, target)
    print(
        f"schemathesis examples: {sum(ran.values())} in all; "
        + ", ".join(f"{label}: {n}" for label, n in sorted(ran.items()))
    )
    assert len(ran) == 2 * 6  # six operations, both modes
    assert all(n >= 1 for n in ran.values())
