"""Reminder mail over SMTP, exactly once per idempotency key, or shown as unknown.

SMTP's commit point is the server's reply to the end of the data (``<CRLF>.<CRLF>``): until
the server has the terminator it discards the transaction when the connection drops. So the
send is split around it, with the outbox row (``persistence/outbox.py``) as the checkpoint:

(a) the try claims the row (``prepared``, held by its attempt id under a lease it renews);
(b) connect, MAIL FROM, RCPT TO, DATA, and the dot-stuffed message without the terminator;
(c) the row becomes ``committing``, only if this try still holds it (compare-and-set);
(d) the terminator is sent and the reply read;
(e) the row becomes ``sent`` (2xx), ``prepared`` again (a 4xx/5xx refusal: not delivered) or
    ``unknown`` (no answer: maybe delivered).

No second send while a first is in flight: the activity heartbeats while it talks to the
server (a live try is not timed out, however slow the server), the whole exchange ends before
the try's own start-to-close deadline, and a retry that finds another try's live lease waits
for it. A try that lost its hold (it was frozen past its lease and another took over) fails
at (c) and never sends the terminator. So two tries never both pass (c).

A retry that finds ``committing`` with a dead lease, or ``unknown``, does not send: the end
of the data went out and nobody heard the answer, so the mail may have been delivered. We
neither resend blindly (a duplicate 督促) nor drop it silently: the try fails with the
non-retryable ``MailOutcomeUnknown``, the case parks the reminder, and an admin decides —
retry sends it again (same Message-ID, so receivers can dedupe), skip accepts it as sent.

Unreachable server or 4xx: retryable ``MailUnavailable``; 5xx: non-retryable
``MailRejected``; the case workflow parks a reminder that fails for good (workflows/
case_steps.py), where `admin failed` lists it and `admin retry` resends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import email.policy
import email.utils
import functools
import hashlib
import logging
import re
import smtplib
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal, TypeVar

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.errors import ErrorType
from models.tracking.reminders import ReminderMail, SendReminderResult
from persistence import outbox
from persistence.outbox import OutboxState, Verdict
from settings import Settings

_log = logging.getLogger(__name__)
T = TypeVar("T")
Security = Literal["none", "starttls", "tls"]
IN_FLIGHT_POLL_SECONDS = 0.5  # how often a retry looks whether another try's send ended
DEADLINE_MARGIN = dt.timedelta(seconds=5)  # a try stops talking this long before its timeout


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 8025
    security: Security = "none"
    user: str = ""
    password: str = ""
    mail_from: str = "toshin@localhost"
    timeout_seconds: float = 30.0  # each wait for the server (connect, a reply)
    lease_seconds: float = 15.0  # a try's hold on its outbox row, renewed while it runs

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value(),
            mail_from=settings.mail_from,
            timeout_seconds=settings.smtp_timeout_seconds,
        )


def message_id_for(key: str) -> str:
    """The Message-ID of a key's mail: the same on every try (receivers can dedupe on it)."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@toshin>"


def render(mail: ReminderMail, *, message_id: str, mail_from: str, now: dt.datetime) -> bytes:
    """The message as it goes on the wire: CRLF line ends, UTF-8 body in base64."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = mail_from
    msg["To"] = ", ".join(mail.to)
    msg["Subject"] = mail.subject
    msg["Date"] = email.utils.format_datetime(now)
    msg["Message-ID"] = message_id
    msg["X-Toshin-Idempotency-Key"] = mail.idempotency_key
    msg.set_content(mail.body, charset="utf-8", cte="base64")
    return msg.as_bytes()


def dot_stuff(data: bytes) -> bytes:
    """RFC 5321 §4.5.2 transparency; the result ends with CRLF, ready for the terminator."""
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _unavailable(what: str) -> ApplicationError:
    return ApplicationError(f"mail server: {what}", type=ErrorType.MailUnavailable.value)


def _refused(step: str, code: int, reply: bytes | str) -> ApplicationError:
    said = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    text = f"{step}: {code} {said}"
    if 400 <= code < 500:
        return _unavailable(f"try later: {text}")
    return ApplicationError(
        f"mail server refused the reminder: {text}",
        type=ErrorType.MailRejected.value,
        non_retryable=True,
    )


def _expect(step: str, answer: tuple[int, bytes], ok: tuple[int, ...] = (250,)) -> None:
    code, reply = answer
    if code not in ok:
        raise _refused(step, code, reply)


class MailActivities:
    def __init__(self, engine: Engine, smtp: SmtpConfig) -> None:
        self._engine = engine
        self._smtp = smtp

    @activity.defn(name="send_reminder")
    async def send_reminder(self, mail: ReminderMail) -> SendReminderResult:
        """Send a reminder mail; heartbeats throughout. Idempotent by ``mail.idempotency_key``:
        delivered at most once, and exactly once unless a try dies between the end of the
        data and its reply, which fails the next try with ``MailOutcomeUnknown`` (see the
        module docstring)."""
        key, attempt_id = mail.idempotency_key, uuid.uuid4().hex
        deadline = _attempt_deadline(self._smtp)
        message_id = message_id_for(key)
        claim = await self._claim(mail, attempt_id, message_id, deadline)
        if claim.verdict is Verdict.sent:
            activity.logger.info("reminder %s: sent before, not sent again", key)
            return SendReminderResult(
                status="already_sent", message_id=message_id, attempts=claim.attempts
            )
        if claim.verdict is Verdict.unknown:
            raise _outcome_unknown(claim.attempts)
        abandon = threading.Event()
        work = _own_thread(
            functools.partial(self._deliver, mail, attempt_id, claim.attempts, deadline, abandon)
        )
        renew_every = self._smtp.lease_seconds / 3
        renewed = time.monotonic()
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=min(renew_every, _beat_seconds()))
                activity.heartbeat()
                if work.done() or time.monotonic() - renewed < renew_every:
                    continue
                renewed = time.monotonic()
                if not await asyncio.to_thread(self._renew, key, attempt_id):
                    abandon.set()  # another try holds the row now: this one must not commit
        except asyncio.CancelledError:
            abandon.set()  # timed out or cancelled: stop before the end of the data
            work.add_done_callback(_log_abandoned)
            raise
        return work.result()

    async def _claim(
        self, mail: ReminderMail, attempt_id: str, message_id: str, deadline: dt.datetime
    ) -> outbox.Claim:
        """Claim the key's row, waiting (heartbeating) while another try's send is in flight."""
        while True:
            now = dt.datetime.now(dt.UTC)
            claim = await asyncio.to_thread(
                outbox.claim,
                self._engine,
                key=mail.idempotency_key,
                message_id=message_id,
                recipients=mail.to,
                subject=mail.subject,
                attempt_id=attempt_id,
                now=now,
                lease=dt.timedelta(seconds=self._smtp.lease_seconds),
                resend_unknown=mail.resend_unknown,
            )
            if claim.verdict is not Verdict.in_flight:
                return claim
            assert claim.lease_until is not None
            if claim.lease_until >= deadline:
                raise _unavailable("another try of this reminder is still sending; try later")
            activity.heartbeat()
            await asyncio.sleep(min(IN_FLIGHT_POLL_SECONDS, _seconds_until(claim.lease_until)))

    def _renew(self, key: str, attempt_id: str) -> bool:
        return outbox.renew(
            self._engine,
            key=key,
            attempt_id=attempt_id,
            now=dt.datetime.now(dt.UTC),
            lease=dt.timedelta(seconds=self._smtp.lease_seconds),
        )

    def _settle(self, key: str, attempt_id: str, state: OutboxState) -> None:
        outbox.settle(
            self._engine, key=key, attempt_id=attempt_id, state=state, now=dt.datetime.now(dt.UTC)
        )

    def _deliver(
        self,
        mail: ReminderMail,
        attempt_id: str,
        attempts: int,
        deadline: dt.datetime,
        abandon: threading.Event,
    ) -> SendReminderResult:
        """Steps (b)–(e) in a thread; the row is settled on every way out."""
        key, log = mail.idempotency_key, activity.logger
        message_id = message_id_for(key)
        data = render(
            mail, message_id=message_id, mail_from=self._smtp.mail_from, now=dt.datetime.now(dt.UTC)
        )
        exchange = _Exchange(self._smtp, self._engine, key, attempt_id, deadline, abandon)
        try:
            exchange.transmit(mail.to, dot_stuff(data))
        except ApplicationError as err:
            if exchange.committed:  # the end of the data went out; no definite answer came
                self._settle(key, attempt_id, OutboxState.unknown)
                log.warning("reminder %s: delivery unknown (try %d)", key, attempts)
                raise _outcome_unknown(attempts, err.message) from None
            self._settle(key, attempt_id, OutboxState.prepared)
            log.warning("reminder %s: not delivered (try %d): %s", key, attempts, err.type)
            raise
        self._settle(key, attempt_id, OutboxState.sent)
        log.info("reminder %s sent as %s to %d recipients", key, message_id, len(mail.to))
        return SendReminderResult(status="sent", message_id=message_id, attempts=attempts)


class _Exchange:
    """One SMTP conversation of one try, bounded by the try's deadline: every socket wait is
    at most the client timeout and never past the deadline."""

    def __init__(
        self,
        cfg: SmtpConfig,
        engine: Engine,
        key: str,
        attempt_id: str,
        deadline: dt.datetime,
        abandon: threading.Event,
    ) -> None:
        self._cfg, self._engine, self._key, self._attempt_id = cfg, engine, key, attempt_id
        self._deadline, self._abandon = deadline, abandon
        self.committed = False

    def _budget(self, smtp: smtplib.SMTP | None = None) -> float:
        left = _seconds_until(self._deadline)
        if left <= 0:
            raise TimeoutError("the try's deadline passed")
        timeout = min(self._cfg.timeout_seconds, left)
        if smtp is not None and smtp.sock is not None:
            smtp.sock.settimeout(timeout)
        return timeout

    def transmit(self, to: list[str], data: bytes) -> None:
        """Steps (b)–(d). Raises ApplicationError; ``committed`` tells whether the terminator
        may have gone out."""
        cfg = self._cfg
        in_data = False
        smtp: smtplib.SMTP | None = None
        try:
            smtp = _connect(cfg, self._budget())
            self._budget(smtp)
            smtp.ehlo_or_helo_if_needed()
            if cfg.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                self._budget(smtp)
                smtp.ehlo()
            if cfg.user:
                self._budget(smtp)
                smtp.login(cfg.user, cfg.password)
            self._budget(smtp)
            _expect("MAIL FROM", smtp.mail(cfg.mail_from))
            for n, rcpt in enumerate(to, start=1):
                self._budget(smtp)
                _expect(f"RCPT TO (recipient {n} of {len(to)})", smtp.rcpt(rcpt), (250, 251))
            self._budget(smtp)
            smtp.putcmd("data")
            _expect("DATA", smtp.getreply(), (354,))
            in_data = True
            self._budget(smtp)
            smtp.send(data)
            self._budget(smtp)  # the last check: past the commit point the terminator goes out
            self._commit_point()
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
            in_data = False
        except smtplib.SMTPAuthenticationError as exc:
            raise _refused("AUTH", exc.smtp_code, exc.smtp_error) from None
        except (OSError, smtplib.SMTPException) as exc:
            stage = "after the end of the data" if self.committed else "before delivery"
            raise _unavailable(f"{type(exc).__name__} {stage}: {exc}") from None
        finally:
            _hang_up(smtp, politely=not in_data)
        if 200 <= code < 300:
            return
        if not 400 <= code < 600:
            raise _unavailable(f"no usable reply to the end of the data: {code}")
        self.committed = False  # a definite refusal: the server did not take the message
        raise _refused("end of data", code, reply)

    def _commit_point(self) -> None:
        """Step (c): only the try that moves the row to ``committing`` sends the terminator."""
        if self._abandon.is_set() or not outbox.begin_commit(
            self._engine,
            key=self._key,
            attempt_id=self._attempt_id,
            now=dt.datetime.now(dt.UTC),
        ):
            raise _unavailable("this try lost its hold on the reminder before the end of the data")
        self.committed = True


def _connect(cfg: SmtpConfig, timeout: float) -> smtplib.SMTP:
    if cfg.security == "tls":
        return smtplib.SMTP_SSL(
            cfg.host, cfg.port, timeout=timeout, context=ssl.create_default_context()
        )
    return smtplib.SMTP(cfg.host, cfg.port, timeout=timeout)


def _attempt_deadline(cfg: SmtpConfig) -> dt.datetime:
    """When this try must be done talking to the server: before its start-to-close (and
    schedule-to-close) timeout, so a retry never starts while it still talks. The span comes
    from the server's times, the start from this worker's clock (no clock skew)."""
    info = activity.info()
    spans = [info.start_to_close_timeout] if info.start_to_close_timeout else []
    if info.schedule_to_close_timeout:
        spans.append(info.scheduled_time + info.schedule_to_close_timeout - info.started_time)
    span = min(spans) if spans else dt.timedelta(seconds=4 * cfg.timeout_seconds)
    return dt.datetime.now(dt.UTC) + span - min(DEADLINE_MARGIN, span / 10)


def _own_thread(fn: Callable[[], T]) -> asyncio.Future[T]:
    """Run ``fn`` in a thread of its own: a slow server then never holds up the shared pool
    that the lease renewals (and other activities) run in."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()  # the activity's context, for its logger

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.cancelled():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            outcome: tuple[T | None, BaseException | None] = (context.run(fn), None)
        except BaseException as err:  # handed to the awaiting side
            outcome = (None, err)
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="send_reminder", daemon=True).start()
    return done


def _log_abandoned(work: asyncio.Future[SendReminderResult]) -> None:
    """How a cancelled try's thread ended (it settles its own row; nobody awaits it)."""
    if not work.cancelled() and (err := work.exception()) is not None:
        _log.info("an abandoned try of a reminder ended: %s", err)


def _beat_seconds() -> float:
    """How often to heartbeat: well inside the heartbeat timeout (the SDK throttles)."""
    timeout = activity.info().heartbeat_timeout
    return timeout.total_seconds() / 3 if timeout else 1.0


def _seconds_until(when: dt.datetime) -> float:
    return (when - dt.datetime.now(dt.UTC)).total_seconds()


def _outcome_unknown(attempts: int, what: str = "") -> ApplicationError:
    said = f" ({what})" if what else ""
    return ApplicationError(
        f"mail server: the end of the data went out but no answer came back{said}; the reminder"
        f" may have been delivered and is not resent (try {attempts}): an admin's retry sends "
        "it again with the same Message-ID, skip accepts it as delivered",
        type=ErrorType.MailOutcomeUnknown.value,
        non_retryable=True,
    )


def _hang_up(smtp: smtplib.SMTP | None, *, politely: bool) -> None:
    """QUIT, except in the middle of the data (QUIT would be taken as message text): there
    only the socket is closed, and the server discards the unfinished transaction."""
    if smtp is None:
        return
    if politely:
        try:
            smtp.quit()
            return
        except (OSError, smtplib.SMTPException):
            pass
    smtp.close()
