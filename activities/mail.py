"""Reminder mail over SMTP, exactly once per idempotency key (with one documented exception).

SMTP's commit point is the server's reply to the end of the data (``<CRLF>.<CRLF>``): until
the server has the terminator it discards the transaction when the connection drops. So the
send is split around it, with the outbox row (``persistence/outbox.py``) as the checkpoint:

(a) the row is inserted (or a retry counted) as ``prepared`` and committed;
(b) connect, MAIL FROM, RCPT TO, DATA, and the dot-stuffed message without the terminator;
(c) the row becomes ``committing`` and is committed;
(d) the terminator is sent and the reply read;
(e) the row becomes ``sent``.

A retry that finds ``prepared`` sends again: the server never got the terminator, so nothing
was delivered. A retry that finds ``committing`` or ``sent`` does not send again and answers
``already_sent``. ``committing`` means the terminator may or may not have been accepted (the
worker died, or the connection broke, between (c) and (e)): for that small window we choose
at most once over at least once, because a duplicate 督促 is worse than a rare lost reminder
that the escalation ladder repeats anyway. A reply that does come back refusing the message
(4xx/5xx after the terminator) is definite: the row goes back to ``prepared``.

One key is sent by one activity at a time (keys are per case and step); two concurrent
first tries with the same key are not serialised beyond the outbox's primary key.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.policy
import email.utils
import hashlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.errors import ErrorType
from models.tracking.reminders import ReminderMail, SendReminderResult
from persistence import outbox
from persistence.outbox import OutboxState
from settings import Settings

Security = Literal["none", "starttls", "tls"]


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 8025
    security: Security = "none"
    user: str = ""
    password: str = ""
    mail_from: str = "toshin@localhost"
    timeout_seconds: float = 30.0

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
        """Send a reminder mail. Idempotent by ``mail.idempotency_key``: delivered at most
        once, and exactly once unless a try dies between the end of the data and its reply
        (see the module docstring). Unreachable server or 4xx: retryable ``MailUnavailable``;
        5xx: non-retryable ``MailRejected``."""
        return await asyncio.to_thread(self._send, mail)

    def _send(self, mail: ReminderMail) -> SendReminderResult:
        key, log = mail.idempotency_key, activity.logger
        message_id = message_id_for(key)
        now = dt.datetime.now(dt.UTC)
        claim = outbox.claim(
            self._engine,
            key=key,
            message_id=message_id,
            recipients=mail.to,
            subject=mail.subject,
            now=now,
        )
        if not claim.may_send:
            log.info("reminder %s: %s before, not sent again", key, claim.previous)
            return SendReminderResult(
                status="already_sent", message_id=message_id, attempts=claim.attempts
            )
        data = render(mail, message_id=message_id, mail_from=self._smtp.mail_from, now=now)
        try:
            self._transmit(key, mail.to, dot_stuff(data))
        except ApplicationError:
            log.warning("reminder %s: not delivered (try %d)", key, claim.attempts)
            raise
        self._set(key, OutboxState.sent)
        log.info("reminder %s sent as %s to %d recipients", key, message_id, len(mail.to))
        return SendReminderResult(status="sent", message_id=message_id, attempts=claim.attempts)

    def _connect(self) -> smtplib.SMTP:
        cfg = self._smtp
        if cfg.security == "tls":
            return smtplib.SMTP_SSL(
                cfg.host,
                cfg.port,
                timeout=cfg.timeout_seconds,
                context=ssl.create_default_context(),
            )
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        if cfg.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp

    def _set(self, key: str, state: OutboxState) -> None:
        outbox.set_state(self._engine, key=key, state=state, now=dt.datetime.now(dt.UTC))

    def _transmit(self, key: str, to: list[str], data: bytes) -> None:
        """Steps (b)–(d). Raises ApplicationError; leaves the row ``committing`` only when the
        terminator went out and no reply came back."""
        cfg = self._smtp
        committed = in_data = False
        smtp: smtplib.SMTP | None = None
        try:
            smtp = self._connect()
            smtp.ehlo_or_helo_if_needed()
            if cfg.user:
                smtp.login(cfg.user, cfg.password)
            _expect("MAIL FROM", smtp.mail(cfg.mail_from))
            for n, rcpt in enumerate(to, start=1):
                _expect(f"RCPT TO (recipient {n} of {len(to)})", smtp.rcpt(rcpt), (250, 251))
            smtp.putcmd("data")
            _expect("DATA", smtp.getreply(), (354,))
            in_data = True
            smtp.send(data)
            self._set(key, OutboxState.committing)
            committed = True
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
            in_data = False
        except smtplib.SMTPAuthenticationError as exc:
            raise _refused("AUTH", exc.smtp_code, exc.smtp_error) from None
        except (OSError, smtplib.SMTPException) as exc:
            stage = "after the end of the data (not resent)" if committed else "before delivery"
            raise _unavailable(f"{type(exc).__name__} {stage}: {exc}") from None
        finally:
            _hang_up(smtp, politely=not in_data)
        if 200 <= code < 300:
            return
        if not 400 <= code < 600:
            raise _unavailable(f"no usable reply to the end of the data (not resent): {code}")
        # a definite refusal: the server did not take the message, so it may be sent again
        self._set(key, OutboxState.prepared)
        raise _refused("end of data", code, reply)


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
