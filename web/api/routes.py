"""/api/v1: cases (list from the read model, one case and its acts through the edge) and
sessions (list from the read model, one session through the edge).

Who may see what is the desk's rule (``web.routes.cases.scope``): a department's member or
head sees its own department's cases; the secretariat, IT and admins see every case. Sessions
are for the secretariat, IT, admins, the chair and council members. Every act is done by the
caller, in a role the caller holds; the workflow's validator checks it again
(``models.case.checks.check_actor``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from edge.archive import ARCHIVE_READ
from edge.audit import Who
from edge.identity import proven, role_for
from models.accounts import UserRole, UserView
from models.audit import AuditAction
from models.case.document import CaseKind
from models.case.lifecycle import allowed_actions, roles_for
from models.case.record import ActInput, ActResult, CaseSnapshot
from models.case.states import CaseState, Trigger
from models.errors import InvalidPayload, describe_validation_error
from models.session.record import SessionSnapshot
from persistence.repository import CASE_SORTS, list_sessions, page_cases
from web.api.auth import CallerDep
from web.api.schemas import (
    ActRequest,
    AllowedAct,
    ApiError,
    CasePage,
    CaseSummary,
    SessionSummary,
)
from web.deps import Desk
from web.errors import Forbidden
from web.routes.cases import check_case_access, scope

SESSION_READERS = frozenset(
    {UserRole.secretariat, UserRole.it, UserRole.admin, UserRole.chair, UserRole.council}
)
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ApiError, "description": what}
    for code, what in (
        (401, "no valid token or session"),
        (403, "not the caller's to see or do (another department's case, a role not held)"),
        (404, "no such case or session"),
        (409, "not allowed in the current state"),
        (422, "a field is missing or wrong: the error names it"),
    )
}
CaseId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-z]+$")]


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def known_query(request: Request) -> None:
    """InvalidPayload (422) naming a query parameter the operation does not take: a misspelt
    filter (``?departmnet=``) would otherwise be ignored and answer every department's cases."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    for name in request.query_params:
        if name not in known:
            takes = ", ".join(sorted(known)) or "none"
            raise InvalidPayload(f"{name}: unknown query parameter (this operation takes {takes})")


router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])


def _desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


async def _case(request: Request, user: UserView, case_id: str) -> CaseSnapshot:
    desk = _desk(request)
    edge = await desk.get_edge()
    snap = await edge.cases.snapshot(case_id)
    check_case_access(user, snap)
    if snap.archived_at is not None:  # a read of the archive is audited like a case read
        source = request.client.host if request.client else "unknown"
        reader = Who(actor=user.username, role=",".join(user.roles), source=source)
        await run_in_threadpool(
            desk.audit.record, reader, AuditAction.case_read, case_id=case_id, detail=ARCHIVE_READ
        )
    return snap


@router.get("/cases", response_model=CasePage, tags=["cases"])
def list_cases(
    request: Request,
    caller: CallerDep,
    state: Annotated[CaseState | None, Query()] = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[CaseKind | None, Query(description="the 諮問 kind, e.g. outsourcing")] = None,
    fiscal_year: Annotated[
        int | None, Query(ge=1900, le=2200, description="the fiscal year (年度), e.g. 2026")
    ] = None,
    sort: Annotated[str, Query(pattern="^(" + "|".join(CASE_SORTS) + ")$")] = "deadline",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CasePage:
    """Cases from the read model: the caller's department's, or every department's for the
    secretariat, IT and admins (``department`` narrows it); ``state``, ``kind`` and
    ``fiscal_year`` narrow it further; paged, sorted."""
    own = scope(caller.user)
    if own is not None and department not in (None, own):
        raise Forbidden(f"department: {own}'s accounts list {own}'s cases, not {department}")
    with Session(_desk(request).engine) as db:
        rows, total = page_cases(
            db,
            department=own or department,
            state=state.value if state else None,
            kind=kind.value if kind else None,
            fiscal_year=fiscal_year,
            sort=sort,
            offset=(page - 1) * per_page,
            limit=per_page,
        )
    items = [CaseSummary.model_validate(row) for row in rows]
    return CasePage(items=items, total=total, page=page, per_page=per_page)


@router.get("/cases/{case_id}", response_model=CaseSnapshot, tags=["cases"])
async def get_case(request: Request, caller: CallerDep, case_id: CaseId) -> CaseSnapshot:
    """One case, live from its workflow (state, history, conditions, deadlines)."""
    return await _case(request, caller.user, case_id)


@router.get("/cases/{case_id}/allowed", response_model=list[AllowedAct], tags=["cases"])
async def allowed(request: Request, caller: CallerDep, case_id: CaseId) -> list[AllowedAct]:
    """The acts the caller may ask for now, each in one of the caller's roles."""
    snap = await _case(request, caller.user, case_id)
    acts: dict[Trigger, AllowedAct] = {}
    for role in caller.user.acting_roles():
        for action in allowed_actions(snap.state, role, parked=snap.parked is not None):
            acts.setdefault(
                action.trigger, AllowedAct(trigger=action.trigger, role=role, dest=action.dest)
            )
    return list(acts.values())


@router.post("/cases/{case_id}/acts", response_model=ActResult, tags=["cases"])
async def act(
    request: Request,
    caller: CallerDep,
    case_id: CaseId,
    body: ActRequest,
    idempotency_key: Annotated[
        str | None,
        Header(max_length=100, description="the same key again returns the first answer"),
    ] = None,
) -> ActResult:
    """Do an act on a case as the caller (an update through the edge; the workflow's
    validator checks role, department, state, payload and guards, and nothing changes when it
    refuses)."""
    await _case(request, caller.user, case_id)
    allowed_roles = roles_for(Trigger(body.trigger)) if body.trigger in Trigger.__members__ else ()
    actor = proven(caller.user, role_for(caller.user, allowed_roles, body.role))
    edge = await _desk(request).get_edge()
    try:
        inp = ActInput(trigger=body.trigger, actor=actor, payload=body.payload, on=body.on)
    except ValidationError as exc:
        raise InvalidPayload(describe_validation_error(exc)) from None
    return await edge.cases.act(case_id, inp, request_id=idempotency_key)


def _session_reader(user: UserView) -> None:
    if not any(r in SESSION_READERS for r in user.roles):
        raise Forbidden(f"roles: {', '.join(user.roles)} do not read council sessions")


@router.get("/sessions", response_model=list[SessionSummary], tags=["sessions"])
def sessions(
    request: Request,
    caller: CallerDep,
    council: Annotated[str | None, Query(max_length=32)] = None,
    state: Annotated[str | None, Query(max_length=40)] = None,
    fiscal_year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> list[SessionSummary]:
    """Sessions from the read model, soonest first."""
    _session_reader(caller.user)
    rows = list_sessions(
        _desk(request).engine, council_id=council, state=state, fiscal_year=fiscal_year
    )
    return [SessionSummary.model_validate(row) for row in rows]


@router.get("/sessions/{session_id}", response_model=SessionSnapshot, tags=["sessions"])
async def session(
    request: Request,
    caller: CallerDep,
    session_id: Annotated[str, Path(min_length=1, max_length=80)],
) -> SessionSnapshot:
    """One session, live from its workflow: agenda, attendance, decisions, minutes."""
    _session_reader(caller.user)
    edge = await _desk(request).get_edge()
    return await edge.sessions.session(session_id)
