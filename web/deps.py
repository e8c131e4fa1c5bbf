"""What every route gets: the desk (settings, accounts, municipality, read model, edge) and
the logged-in user."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlmodel import Session

from edge.audit import AuditTrail, Who
from edge.connect import Edge, open_edge
from edge.oidc import OidcClient
from edge.users import Login, UserService
from models.municipality import MunicipalityConfig
from settings import Settings
from web.auth import LoginRequired, session_token


@dataclass
class Desk:
    """One desk: its settings, accounts, municipality and read model; the edge opens on first
    use (the engine may start after the desk) and is kept."""

    settings: Settings
    users: UserService
    town: MunicipalityConfig
    engine: Engine
    templates: Jinja2Templates
    audit: AuditTrail
    edge: Edge | None = None
    oidc: OidcClient | None = None  # 自治体IDでログイン, when TOSHIN_OIDC_ENABLED
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def get_edge(self) -> Edge:
        async with self._lock:
            if self.edge is None:
                self.edge = await open_edge(self.settings)
            return self.edge


def get_desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


DeskDep = Annotated[Desk, Depends(get_desk)]


def read_model(desk: DeskDep) -> Iterator[Session]:
    with Session(desk.engine) as session:
        yield session


ReadModel = Annotated[Session, Depends(read_model)]


def current_login(request: Request, desk: DeskDep) -> Login:
    """The logged-in user's server-side session; LoginRequired (→ the login page) if none."""
    token = session_token(request, desk.settings)
    login = desk.users.resume(token) if token else None
    if login is None:
        raise LoginRequired(request.url.path)
    return login


CurrentLogin = Annotated[Login, Depends(current_login)]


def who(request: Request, login: Login | None, username: str = "") -> Who:
    """The audit trail's "who": the logged-in user (or the name tried at the login), their
    roles, and the address the request came from."""
    source = request.client.host if request.client else "unknown"
    if login is None:
        return Who(actor=username, role="", source=source)
    return Who(actor=login.user.username, role=",".join(login.user.roles), source=source)
