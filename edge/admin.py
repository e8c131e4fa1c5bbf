"""An operator's work: prepare a Temporal cluster (namespace, search attributes, read model)
and repair parked steps (``CaseService.admin``, listed by ``CaseService.parked_cases``).

The dev server of `./toshin up` registers the search attributes itself; a Temporal cluster
(docker-compose.yml) needs them registered once, and the read-model tables created once before
several workers start (their concurrent CREATE TABLE would race on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import time

from google.protobuf.duration_pb2 import Duration
from pydantic import BaseModel
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    RegisterNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError

from edge.connect import connect
from edge.errors import is_not_found, translated
from models import search_attributes as sa
from models.errors import CaseError
from models.ids import council_workflow_id
from persistence.database import make_engine
from settings import Settings
from workflows.council import CouncilWorkflow

_TYPES = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "INT": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


class SetupResult(BaseModel):
    namespace: str
    namespace_registered: bool
    search_attributes_added: list[str]


async def setup(settings: Settings, retention_days: int) -> SetupResult:
    """The namespace (registered if missing), the case search attributes and the read-model
    tables. Idempotent."""
    client = await connect(settings)
    with translated(f"namespace {settings.namespace}"):
        registered = await ensure_namespace(client, settings.namespace, retention_days)
        added = await register_search_attributes(client, settings.namespace)
    make_engine(settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    return SetupResult(
        namespace=settings.namespace,
        namespace_registered=registered,
        search_attributes_added=added,
    )


async def ensure_namespace(client: Client, namespace: str, retention_days: int) -> bool:
    """Register ``namespace`` unless it exists; True when it was registered now."""
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
        return False
    except RPCError as err:
        if not is_not_found(err):
            raise
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace,
            workflow_execution_retention_period=Duration(seconds=retention_days * 86_400),
        )
    )
    return True


async def register_search_attributes(
    client: Client, namespace: str, wait_seconds: float = 30.0
) -> list[str]:
    """Register every case search attribute missing from ``namespace``; returns the names
    added (none on a second run). One registered with another type is an error naming it.
    A namespace registered a moment ago is NOT_FOUND until the server's namespace cache
    refreshes (about 10 s): that is waited out."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return await _register_missing(client, namespace)
        except RPCError as err:
            if not is_not_found(err) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _register_missing(client: Client, namespace: str) -> list[str]:
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    existing = {**listed.system_attributes, **listed.custom_attributes}
    wanted = {key.name: _TYPES[key.indexed_value_type.name] for key in sa.ALL}
    clashes = [
        f"{name} is {IndexedValueType.Name(existing[name])}, toshin needs "
        f"{IndexedValueType.Name(kind)}"
        for name, kind in wanted.items()
        if name in existing and existing[name] != kind
    ]
    if clashes:
        raise CaseError(f"namespace {namespace}: search attribute " + "; ".join(clashes))
    missing = {name: kind for name, kind in wanted.items() if name not in existing}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)


UPDATE_TIMEOUT_S = 30.0


async def reproject_councils(settings: Settings) -> dict[str, int]:
    """Write every registered council's read-model row now, through its workflow's
    ``project_read_model`` update (councils started before councils were projected). The
    councils are found by their workflows (type CouncilWorkflow), not the read model.
    Returns the projected version by council id."""
    client = await connect(settings)
    done: dict[str, int] = {}
    # only this deployment's councils: another task queue's may have no worker to answer
    query = (
        "WorkflowType = 'CouncilWorkflow' AND ExecutionStatus = 'Running' "
        f"AND TaskQueue = '{settings.task_queue}'"
    )
    with translated("councils"):
        async for wf in client.list_workflows(query):
            handle = client.get_workflow_handle(wf.id)
            council_id = wf.id.removeprefix(council_workflow_id(""))
            try:
                version = await asyncio.wait_for(
                    handle.execute_update(CouncilWorkflow.project_read_model), UPDATE_TIMEOUT_S
                )
            except TimeoutError:
                raise CaseError(
                    f"council {council_id}: no answer in {UPDATE_TIMEOUT_S:.0f} s; is the "
                    "worker running?"
                ) from None
            done[council_id] = version
    return done
