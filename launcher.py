"""`./toshin up`: the whole embedded system on loopback — a real Temporal dev server (SQLite
file under the data folder, Web UI on), the worker, and the demo cases — until Ctrl-C.

Everything persists under TOSHIN_DATA_DIR (default ./var): stop and start again, and every
case is where it was.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from edge.audit import ensure_audit_key
from edge.codec import ensure_keyring
from edge.keyfiles import ensure_case_id_key
from edge.oidc import OidcConfigError, oidc_config
from models import search_attributes as sa
from settings import ROOT, Settings

VENV_BIN = Path(sys.executable).parent


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def codec_endpoint(settings: Settings) -> str:
    """The desk's codec for the Web UI (admins see decoded payloads; web/routes/codec.py). The
    trailing slash: newer UIs resolve "decode" against it, older ones append "/decode"."""
    host = "127.0.0.1" if settings.desk_host in ("0.0.0.0", "", "::") else settings.desk_host
    return f"http://{host}:{settings.desk_port}/codec/"


def start_server(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    host, _, port = settings.temporal_address.rpartition(":")
    if _port_open(host, int(port)):
        raise SystemExit(f"port {port} is busy: is another toshin or Temporal already running?")
    args = [
        str(VENV_BIN / "temporal"),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        port,
        "--ui-ip",
        "127.0.0.1",  # the Web UI shows payload metadata: loopback only, whatever --ip is
        "--ui-port",
        str(settings.ui_port),
        "--ui-codec-endpoint",
        codec_endpoint(settings),
        "--db-filename",
        str(settings.data_dir / "temporal.db"),
        "--namespace",
        settings.namespace,
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--log-level",
        "warn",
    ]
    for flag in sa.CLI_FLAGS:
        args += ["--search-attribute", flag]
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)


async def _wait_ready(settings: Settings, timeout: float = 30.0) -> None:
    from edge.connect import connect

    deadline = time.monotonic() + timeout
    while True:
        try:
            client = await connect(settings)
            await client.count_workflows("CaseState = 'draft'")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


def upgrade_read_model(settings: Settings) -> str:
    """Bring the read model to the newest schema revision (while the server starts)."""
    from persistence.migrations import UnknownRevision, upgrade_to_head  # import late: Alembic

    try:
        return upgrade_to_head(settings.read_model_url).after
    except UnknownRevision as err:
        raise SystemExit(f"read model {settings.read_model_url}: {err}") from None


def start_desk(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """The desk (web/app.py) under uvicorn, on loopback by default."""
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "web.app:app", "--host",
         settings.desk_host, "--port", str(settings.desk_port), "--no-server-header"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip


def demo_accounts(settings: Settings) -> str:
    """The demo accounts, added when missing, as lines for the console."""
    from edge.users import UserService, ensure_demo_accounts  # import late: argon2, SQL

    lines = [
        f"    {a.username:<12} {a.password:<16} {a.display_name} ({a.department or a.roles[0]})"
        for a in ensure_demo_accounts(UserService(settings))
    ]
    return "\n".join(lines)


def load_demo(settings: Settings) -> subprocess.CompletedProcess[str]:
    """``starter.py demo load`` as the demo admin: a scenario plays every role, which only an
    admin may (edge/identity.py); its token is issued for this run and revoked after it."""
    from edge.users import DEMO_ADMIN, UserService  # import late: argon2, SQL
    from models.errors import CaseError

    users = UserService(settings)
    try:
        token, issued = users.issue_token(DEMO_ADMIN, "demo load (./toshin up)")
    except CaseError as err:  # the demo admin was removed: say so, the engine runs anyway
        users.engine.dispose()
        return subprocess.CompletedProcess([], 1, "", f"demo load: {err.error_type}: {err}")
    try:
        return subprocess.run(
            [sys.executable, str(ROOT / "starter.py"), "demo", "load"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "TOSHIN_TOKEN": token},
        )
    finally:
        users.revoke_token(DEMO_ADMIN, issued.token_id)
        users.engine.dispose()


def main() -> int:
    started = time.monotonic()
    settings = Settings()
    try:
        oidc_config(settings)  # a bad TOSHIN_OIDC_* setting stops here, named, not in desk.log
    except OidcConfigError as err:
        raise SystemExit(f"error: {err.message}") from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_keyring(settings.keyring.get_secret_value(), settings.keyring_path)  # 0600, once
    ensure_audit_key(settings)  # beside the keyring, 0600, once
    ensure_case_id_key(settings)  # likewise: case ids are derived with it
    logs = settings.data_dir / "logs"
    logs.mkdir(exist_ok=True)
    if _port_open(settings.desk_host, settings.desk_port):
        raise SystemExit(f"port {settings.desk_port} (the desk, TOSHIN_DESK_PORT) is busy")
    server = start_server(settings, logs / "temporal.log")
    children: list[subprocess.Popen[bytes]] = [server]

    def stop(*_: object) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    def terminate(*_: object) -> None:
        print("\nstopping…", flush=True)
        stop()
        os._exit(0)

    # SIGINT explicitly too: a launcher started in the background inherits SIGINT ignored
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    try:
        read_model = upgrade_read_model(settings)
        accounts = demo_accounts(settings)
        asyncio.run(_wait_ready(settings))
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")],
            stdout=(logs / "worker.log").open("ab"),
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        children.append(worker)
        desk = start_desk(settings, logs / "desk.log")
        children.append(desk)
        mail_note = f"SMTP {settings.smtp_host}:{settings.smtp_port} (TOSHIN_SMTP_*)"
        if settings.smtp_host == "127.0.0.1" and not _port_open("127.0.0.1", settings.smtp_port):
            # no mail server of our own: a local one keeps every reminder as a file
            maildir = settings.data_dir / "mail"
            sink = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    f"127.0.0.1:{settings.smtp_port}",
                    "-c",
                    "aiosmtpd.handlers.Mailbox",
                    str(maildir),
                ],
                stdout=(logs / "mail.log").open("ab"),
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
            children.append(sink)
            mail_note += f", kept by a local sink in {maildir}/new"
        demo = load_demo(settings)
        (logs / "demo.log").write_text(demo.stdout + demo.stderr, encoding="utf-8")
        if demo.returncode != 0:
            print(demo.stdout[-3000:], demo.stderr[-3000:], sep="\n")
            print("demo data did not load (see var/logs/demo.log); the engine is running anyway")
        ui = f"http://127.0.0.1:{settings.ui_port}/namespaces/{settings.namespace}/workflows"
        print(
            f"""
toshin is ready in {time.monotonic() - started:.1f}s
  the desk          http://{settings.desk_host}:{settings.desk_port}/  demo accounts:
{accounts}
  Temporal Web UI   {ui}
  Temporal server   {settings.temporal_address} (SQLite file {settings.data_dir / "temporal.db"})
  read model        {settings.read_model_url} (schema {read_model})
  calendar feeds    each user's secret URL on the desk's カレンダー page
  reminder mail     {mail_note}
  logs              {logs}

  look at the cases:   .venv/bin/python starter.py case list
  look at one case:    .venv/bin/python starter.py case show <case id> --as secretariat
  all commands:        .venv/bin/python starter.py --help
Ctrl-C stops everything; ./toshin up again resumes where it was.""",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a component stopped unexpectedly; see the logs above", file=sys.stderr)
        return 1
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
