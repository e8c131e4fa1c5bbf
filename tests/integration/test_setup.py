"""`starter.py admin setup` prepares a namespace of a Temporal cluster the way the
scaled-out deployment (docker-compose.yml) needs it: the case search attributes and the
read model at the newest schema revision, idempotently, before any worker starts."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from google.protobuf.duration_pb2 import Duration
from sqlalchemy import create_engine, inspect, text
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client

from persistence.migrations import head
from tests.integration.conftest import System
from tests.integration.test_cli import cli


async def _fresh_namespace(client: Client) -> str:
    name = f"ns-{uuid.uuid4().hex[:10]}"
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=name, workflow_execution_retention_period=Duration(seconds=86_400)
        )
    )
    return name


async def test_setup_registers_search_attributes_once_and_creates_the_tables(
    system: System,
) -> None:
    namespace = f"ns-{uuid.uuid4().hex[:10]}"  # not registered yet
    url = f"sqlite:///{system.settings.data_dir / 'cluster_read_model.db'}"
    env = {"TOSHIN_NAMESPACE": namespace, "TOSHIN_DATABASE_URL": url}
    ns_client = await Client.connect(
        system.client.service_client.config.target_host, namespace=namespace
    )

    code, out, err = await cli(system, "admin", "setup", "--json", env_extra=env)
    assert code == 0, err
    first = json.loads(out)
    assert first["namespace_registered"] is True
    assert first["search_attributes_added"] == sorted(
        ["CaseKind", "CaseState", "Department", "FiscalYear", "NextDeadline", "ParkedStep"]
    )
    # the namespace now answers the queries the gateway and the dashboard ask (an unknown
    # attribute would raise); nothing runs in it yet
    since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat()
    counted = await ns_client.count_workflows(
        f"CaseState = 'active' AND FiscalYear = 2026 AND NextDeadline > '{since}'"
    )
    assert counted.count == 0
    engine = create_engine(url)  # the read model at the newest revision, made by setup alone
    assert {"cases", "case_transitions", "deadlines", "documents", "councils", "sessions"} <= set(
        inspect(engine).get_table_names()
    )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head()
    engine.dispose()

    code, out, err = await cli(system, "admin", "setup", "--json", env_extra=env)
    assert code == 0, err
    again = json.loads(out)
    assert (again["namespace_registered"], again["search_attributes_added"]) == (False, [])


async def test_setup_refuses_a_namespace_that_gives_a_name_another_type(system: System) -> None:
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import (
        AddSearchAttributesRequest,
        ListSearchAttributesRequest,
    )

    namespace = await _fresh_namespace(system.client)
    await system.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={"FiscalYear": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
        )
    )
    code, _, err = await cli(system, "admin", "setup", env_extra={"TOSHIN_NAMESPACE": namespace})
    assert code == 1
    assert "FiscalYear is INDEXED_VALUE_TYPE_KEYWORD" in err
    assert "INDEXED_VALUE_TYPE_INT" in err
    listed = await system.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert "CaseState" not in listed.custom_attributes  # nothing half-registered
