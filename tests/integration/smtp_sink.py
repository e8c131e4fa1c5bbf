"""A real SMTP server for the tests (aiosmtpd on a free loopback port) that keeps what it
accepts, can be slow (a delay per RCPT), answer scripted refusals, run a hook inside RCPT or
DATA (e.g. SIGKILL the sending worker), and counts the connections that have ended."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float = field(default_factory=time.time)  # when the server took it (epoch seconds)

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class SinkHandler:
    received: list[Received] = field(default_factory=list)
    on_rcpt: Callable[[], None] | None = None
    on_data: Callable[[], None] | None = None
    rcpt_reply: str = "250 OK"
    data_reply: str = "250 Message accepted for delivery"
    rcpt_delay: float = 0.0  # the server thinks this long before each RCPT reply
    rcpt_refusals: list[str] = field(default_factory=list)  # answered first, one per RCPT
    rcpt_count: int = 0
    closed: int = 0  # client connections (EHLO/HELO said) that have ended
    die_after_data: bool = False  # keep the message, then drop the connection unanswered

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.rcpt_count += 1
        if self.on_rcpt is not None:
            self.on_rcpt()
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        reply = self.rcpt_refusals.pop(0) if self.rcpt_refusals else self.rcpt_reply
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250") or self.die_after_data:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        if self.die_after_data:  # stored, then gone before the reply: the client never knows
            server.transport.abort()
        if self.on_data is not None:
            self.on_data()
        return self.data_reply


class _CountingSMTP(SMTP):
    def connection_lost(self, error: Exception | None) -> None:
        greeted = self.session is not None and self.session.host_name is not None
        super().connection_lost(error)
        if greeted:  # not the controller's own start-up probe
            self.event_handler.closed += 1


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = SinkHandler()
        self._controller = _Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def times(self) -> list[float]:
        return [r.at for r in self.handler.received]

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
