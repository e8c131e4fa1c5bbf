"""Time `./toshin up` to its "toshin is ready" line, cold and warm, and check persistence.

    .venv/bin/python -m bench.startup [--smoke]

Runs the real launcher twice on one fresh data folder (temp ``TOSHIN_DATA_DIR``, free ports
for Temporal and the Web UI): a cold start, then a restart on the same folder. Each run is
stopped with a signal (SIGINT the first time, SIGTERM the second) and must exit and free its
port. Cases present after the first run (the demo data, plus a few created here when the
demo loads none) must still be listed after the restart (`starter.py case list --json`) and
answer `starter.py case show` live from the engine (with ``--smoke``, the CI mode, one of
them answers: each `starter.py` call costs a Python start; the launcher runs the same way).

"port open" is when Temporal's gRPC port first accepts connections; the launcher prints
its ready line only after the worker started and `starter.py demo load` finished.

Needs the venv already installed (``./toshin`` would otherwise pip-install first).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.transition_latency import exit_with
from edge.users import DEMO_ACCOUNTS

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
READY = "toshin is ready in"
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
EXTRA_CASES = 3  # created in the first run when the demo data holds no case


@dataclass
class Run:
    label: str
    port_s: float | None  # Popen → Temporal's port accepts connections
    ready_s: float  # Popen → the ready line, measured here
    launcher_s: float | None  # what the launcher itself printed
    stop_s: float  # signal → process exit
    exit_code: int | None
    port_freed: bool


def free_ports(n: int) -> list[int]:
    """``n`` distinct loopback ports that were free a moment ago (all held open together, so
    the system cannot hand out the same one twice)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def isolated_env(data_dir: Path) -> tuple[dict[str, str], int, int]:
    """The environment of the launcher and of ``starter.py``: this process's, without any
    TOSHIN_ setting it had, plus a data folder, a task queue and free ports of its own for
    everything the launcher opens or connects to (Temporal, Web UI, the desk, SMTP),
    so a run can neither meet another toshin nor mail someone else's sink.
    Returns (env, Temporal port, UI port)."""
    temporal_port, ui_port, smtp_port, desk_port = free_ports(4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOSHIN_")}
    env.update(
        {
            "TOSHIN_DATA_DIR": str(data_dir),
            "TOSHIN_DATABASE_URL": "",  # SQLite in the data folder, whatever a .env says
            "TOSHIN_DOCUMENTS_DIR": str(data_dir / "documents"),
            "TOSHIN_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
            "TOSHIN_UI_PORT": str(ui_port),
            "TOSHIN_DESK_HOST": "127.0.0.1",
            "TOSHIN_DESK_PORT": str(desk_port),
            "TOSHIN_SMTP_HOST": "127.0.0.1",
            "TOSHIN_SMTP_PORT": str(smtp_port),
            "TOSHIN_NAMESPACE": "default",
            "TOSHIN_TASK_QUEUE": f"startup-{data_dir.parent.name}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env, temporal_port, ui_port


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def venv_ready() -> bool:
    digest = hashlib.sha1((ROOT / "requirements.txt").read_bytes()).hexdigest()[:12]
    return (ROOT / ".venv" / f".installed-{digest}").exists()


async def start_and_stop(
    label: str,
    env: dict[str, str],
    port: int,
    stop_signal: signal.Signals,
    during: Callable[[], Awaitable[None]] | None = None,
) -> Run:
    """Start ./toshin up, wait for the ready line, run ``during``, then stop it."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(ROOT / "toshin"),
        "up",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a hung run can be killed whole
    )
    assert proc.stdout is not None
    port_task = asyncio.create_task(_port_opened(port, started))
    output: list[str] = []
    launcher_s: float | None = None
    try:
        while True:
            raw = await asyncio.wait_for(
                proc.stdout.readline(), timeout=READY_TIMEOUT - (time.monotonic() - started)
            )
            if not raw:
                raise RuntimeError(f"{label}: launcher exited before ready:\n{''.join(output)}")
            line = raw.decode(errors="replace")
            output.append(line)
            if READY in line:
                ready_s = time.monotonic() - started
                match = re.search(r"ready in ([0-9.]+)s", line)
                launcher_s = float(match.group(1)) if match else None
                break
        # keep draining its output so the launcher never blocks on a full pipe
        drain = asyncio.create_task(_drain(proc.stdout, output))
        if during is not None:
            await during()
        stop_started = time.monotonic()
        proc.send_signal(stop_signal)
        try:
            code: int | None = await asyncio.wait_for(proc.wait(), timeout=STOP_TIMEOUT)
        except TimeoutError:
            code = None
        stop_s = time.monotonic() - stop_started
        await asyncio.wait_for(drain, timeout=5)
    except BaseException:
        print("".join(output)[-3000:], file=sys.stderr)
        raise
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    freed = await _port_freed(port)
    port_s = port_task.result() if port_task.done() else None
    port_task.cancel()
    return Run(label, port_s, ready_s, launcher_s, stop_s, code, freed)


async def _port_opened(port: int, started: float) -> float:
    while not port_open(port):
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def _drain(stream: asyncio.StreamReader, output: list[str]) -> None:
    while raw := await stream.readline():
        output.append(raw.decode(errors="replace"))


async def _port_freed(port: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while port_open(port):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def starter(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        str(PYTHON),
        str(ROOT / "starter.py"),
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"starter.py {' '.join(args)} failed ({proc.returncode}): {err!r}")
    return out.decode()


async def list_case_ids(env: dict[str, str]) -> list[str]:
    rows = json.loads(await starter(env, "case", "list", "--json"))
    return sorted(str(row["case_id"]) for row in rows)


def write_document(path: Path) -> None:
    from bench.transition_latency import sample_document

    path.write_text(
        yaml.safe_dump(sample_document().model_dump(mode="json"), allow_unicode=True),
        encoding="utf-8",
    )


async def run(live_sample: int | None = None) -> int:
    """Both runs; ``live_sample``: how many of the kept cases must answer `case show` live
    (None: all of them)."""
    if not venv_ready():
        print("the venv is not installed for this requirements.txt: run ./toshin up once first")
        return 2
    with tempfile.TemporaryDirectory(prefix="toshin-startup-") as tmp:
        data_dir = Path(tmp) / "var"
        env, temporal_port, ui_port = isolated_env(data_dir)
        first: dict[str, list[str]] = {}

        async def load_and_count() -> None:
            ids = await list_case_ids(env)
            first["demo"] = ids
            if not ids:
                doc = Path(tmp) / "document.yaml"
                write_document(doc)
                head = DEMO_ACCOUNTS[0]  # the sample document's department head
                creator = {**env, "TOSHIN_USER": head.username, "TOSHIN_PASSWORD": head.password}
                for i in range(EXTRA_CASES):
                    await starter(creator, "case", "create", str(doc), "--ref", f"startup-{i}")
                ids = await list_case_ids(env)
            first["ids"] = ids

        cold = await start_and_stop("cold", env, temporal_port, signal.SIGINT, load_and_count)
        after: dict[str, list[str]] = {}

        async def recount() -> None:
            after["ids"] = await list_case_ids(env)
            live = []
            for case_id in first["ids"][:live_sample]:
                snap = json.loads(await starter(env, "case", "show", case_id, "--json"))
                live.append(str(snap["case_id"]))
            after["live"] = live

        warm = await start_and_stop("warm", env, temporal_port, signal.SIGTERM, recount)

    print(f"\n./toshin up (Temporal on :{temporal_port}, UI on :{ui_port})")
    print(
        f"{'':6}{'port open':>11}{'ready (s)':>11}{'launcher (s)':>14}{'stop (s)':>10}"
        f"{'exit':>6}  port freed"
    )
    for r in (cold, warm):
        port_s = f"{r.port_s:.2f}" if r.port_s is not None else "?"
        launcher = f"{r.launcher_s:.1f}" if r.launcher_s is not None else "?"
        print(
            f"{r.label:6}{port_s:>11}{r.ready_s:11.2f}{launcher:>14}{r.stop_s:10.2f}"
            f"{r.exit_code if r.exit_code is not None else 'hung':>6}  {r.port_freed}"
        )
    demo_n, first_n = len(first["demo"]), len(first["ids"])
    asked = len(first["ids"][:live_sample])
    kept = sorted(set(first["ids"]) & set(after["ids"]))
    new = len(set(after["ids"]) - set(first["ids"]))
    print(
        f"cases after the first run: {first_n} ({demo_n} from the demo data"
        f"{f', {first_n - demo_n} created here' if first_n > demo_n else ''}); "
        f"after the restart: {len(after['ids'])} listed, {len(kept)} of {first_n} kept, "
        f"{len(after['live'])} of {asked} asked answer `case show` live"
    )
    if new:
        print(f"  {new} case(s) new after the restart: scenario files added since the first run")
    ok = (
        all(r.exit_code == 0 and r.port_freed for r in (cold, warm))
        and first_n > 0
        and len(kept) == first_n
        and asked > 0
        and len(after["live"]) == asked
    )
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: the same two runs; one kept case (not all) is asked `case show` live",
    )
    args = parser.parse_args()
    return asyncio.run(run(1 if args.smoke else None))


if __name__ == "__main__":
    exit_with(main)
