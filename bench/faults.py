"""The embedded system as separate processes a drill can hurt: the real Temporal dev server
(``launcher.start_server``, SQLite file in the data folder) and the real worker
(``worker.py``), each killable with SIGKILL and started again on the same data folder; the
read model's SQLite file locked by another process (every write refused after the busy
timeout); the mail server refusing (4xx) through the test SMTP sink.

Nothing here waits on the clock to prove anything: a fault ends on evidence that it was felt
(writes refused, RCPTs refused), and a restart is ready when the worker says it polls.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from temporalio.client import Client

import launcher
from bench.startup import free_ports
from edge.admin import AdminService, open_admin
from edge.codec import ensure_keyring
from models.errors import CaseError
from models.policy import CasePolicy
from settings import ROOT, Settings
from tests.integration.conftest import DIRECTORY

WORKER_READY = "worker polling task queue"
LOCKED = "database is locked"


def system_settings(folder: Path, *, smtp_port: int, policy: CasePolicy) -> Settings:
    """An embedded system of its own in ``folder``: free ports, its keyring, the demo's mail
    directory with ``policy`` as its municipality file, the read model in the folder."""
    temporal, ui, desk = free_ports(3)
    municipality = DIRECTORY.model_copy(update={"name": "drill", "policy": policy})
    folder.mkdir(parents=True, exist_ok=True)
    town = folder.parent / f"{folder.name}-municipality.yaml"
    town.write_text(yaml.safe_dump(municipality.model_dump(mode="json"), allow_unicode=True))
    settings = Settings(
        data_dir=folder,
        database_url="",
        temporal_address=f"127.0.0.1:{temporal}",
        ui_port=ui,
        desk_port=desk,
        task_queue="drill",
        municipality_file=town,
        smtp_port=smtp_port,
        smtp_timeout_seconds=3,
        sqlite_busy_timeout_ms=300,
    )
    ensure_keyring("", settings.keyring_path)
    return settings


def settings_env(settings: Settings) -> dict[str, str]:
    """This process's environment without any TOSHIN_ setting, plus ``settings`` as
    TOSHIN_ variables: a child process sees exactly the drill's system."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOSHIN_")}
    env.update(
        {
            "TOSHIN_DATA_DIR": str(settings.data_dir),
            "TOSHIN_DATABASE_URL": settings.database_url,
            "TOSHIN_TEMPORAL_ADDRESS": settings.temporal_address,
            "TOSHIN_NAMESPACE": settings.namespace,
            "TOSHIN_TASK_QUEUE": settings.task_queue,
            "TOSHIN_UI_PORT": str(settings.ui_port),
            "TOSHIN_DESK_PORT": str(settings.desk_port),
            "TOSHIN_MUNICIPALITY_FILE": str(settings.municipality_file),
            "TOSHIN_SMTP_HOST": settings.smtp_host,
            "TOSHIN_SMTP_PORT": str(settings.smtp_port),
            "TOSHIN_SMTP_TIMEOUT_SECONDS": str(settings.smtp_timeout_seconds),
            "TOSHIN_SQLITE_BUSY_TIMEOUT_MS": str(settings.sqlite_busy_timeout_ms),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class Stack:
    """The dev server and the worker of one data folder, as child processes."""

    settings: Settings
    logs: Path = Path()  # default: the data folder's logs/, as `./toshin up` keeps them
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    worker_starts: int = 0
    kills: dict[str, int] = field(default_factory=lambda: {"worker": 0, "server": 0})

    def __post_init__(self) -> None:
        if self.logs == Path():
            self.logs = self.settings.data_dir / "logs"

    @property
    def worker_log(self) -> Path:
        return self.logs / "worker.log"

    async def start(self) -> AdminService:
        """Server, then worker; the admin service (and its edge) once both are up."""
        self.logs.mkdir(parents=True, exist_ok=True)
        self.start_server()
        deadline = time.monotonic() + 60
        while True:
            try:
                admin = await open_admin(self.settings)  # the read model at its newest schema
                break
            except CaseError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        await self.server_ready(admin.client)
        self.start_worker()
        await self.worker_ready()
        return admin

    def start_server(self) -> None:
        self.server = launcher.start_server(self.settings, self.logs / "temporal.log")

    def start_worker(self) -> None:
        self.worker_starts += 1
        with self.worker_log.open("ab") as out:
            self.worker = subprocess.Popen(
                [sys.executable, str(ROOT / "worker.py")],
                cwd=ROOT,
                env=settings_env(self.settings),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self, which: str) -> None:
        """SIGKILL the worker or the server: no clean-up, no goodbye to the server."""
        proc = self.worker if which == "worker" else self.server
        assert proc is not None and proc.poll() is None, f"{which} is not running"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.kills[which] += 1

    def log_count(self, text: str) -> int:
        if not self.worker_log.exists():
            return 0
        return self.worker_log.read_text(encoding="utf-8", errors="replace").count(text)

    async def worker_ready(self, timeout: float = 90.0) -> None:
        """Until the latest worker says it polls (each start says it once)."""
        deadline = time.monotonic() + timeout
        while self.log_count(WORKER_READY) < self.worker_starts:
            if self.worker is not None and self.worker.poll() is not None:
                raise RuntimeError(f"the worker exited ({self.worker.returncode}): {self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not poll within {timeout:g} s: {self.tail()}")
            await asyncio.sleep(0.05)

    async def server_ready(self, client: Client, timeout: float = 60.0) -> None:
        """Until the server answers a visibility query on the drill's own client."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                await client.count_workflows("CaseState = 'draft'")
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    def tail(self) -> str:
        if not self.worker_log.exists():
            return ""
        return self.worker_log.read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self) -> None:
        """SIGTERM the worker, then the server (each waited for; killed when it hangs)."""
        for proc in (self.worker, self.server):
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class ReadModelOutage:
    """Another process holding the read model's SQLite file exclusively: every write of the
    worker (projection, outbox) waits its busy timeout and fails, until ``end``."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.started = time.monotonic()
        self.conn.execute("BEGIN EXCLUSIVE")

    def end(self) -> float:
        """Release the file; how long it was held (seconds)."""
        self.conn.execute("ROLLBACK")
        self.conn.close()
        return time.monotonic() - self.started
