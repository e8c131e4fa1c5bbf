"""Every bench/ script runs in its smoke mode (tiny N, the same code path) as a person would run
it, and prints its figures: a bench that rots fails here, not on the day someone needs it.

The selected benches start together (each has its own dev server, ports, task queue and temp
folder) so the module takes about as long as the slowest one, ``bench.startup``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT

TIMEOUT_S = 240.0  # per bench, a guard only: on this machine the slowest takes about 45 s
NUMBER = r"[0-9]+(?:\.[0-9]+)?"

# bench → lines its smoke run must print (regular expressions, one line each)
FIGURES: dict[str, list[str]] = {
    "case_list": [
        r"^read model: SQLite \(WAL\), 2,000 cases filled in [0-9.]+ s$",
        rf"^department head, own dept, one state(?:\s+{NUMBER}){{4}}$",
        rf"^secretariat, all depts, one state(?:\s+{NUMBER}){{4}}$",
        r"^OK$",
    ],
    "case_creation": [
        r"^case creation; read model: SQLite \(WAL\); 5 samples each \(ms\)$",
        rf"^before: start, then poll every 20 ms(?:\s+{NUMBER}){{4}}$",
        rf"^after: update-with-start(?:\s+{NUMBER}){{4}}$",
        rf"^bare update-with-start \(counter\)(?:\s+{NUMBER}){{4}}$",
        rf"^after/before: p50 {NUMBER}x, p95 {NUMBER}x$",
        rf"^after/bare: p50 {NUMBER}x, p95 {NUMBER}x$",
    ],
    "case_page": [
        r"^case page GET /cases/\{id\}, query included; read model SQLite; 5 samples each \(ms\)$",
        rf"^draft \(1 transition\)(?:\s+{NUMBER}){{4}}$",
        rf"^answered \(11, 2 documents\)(?:\s+{NUMBER}){{4}}$",
    ],
    "transition_latency": [
        r"^read model: SQLite \(WAL\); 5 samples each \(ms\)$",
        rf"^case act\(submit\) \+ row read(?:\s+{NUMBER}){{4}}$",
        rf"^bare update \(counter\)(?:\s+{NUMBER}){{4}}$",
        rf"^ratio ours/bare: p50 {NUMBER}x, p95 {NUMBER}x$",
    ],
    "codec": [
        r"^payload codec; read model: SQLite \(WAL\); 5 samples each \(ms\)$",
        rf"^codec on: act\(submit\) \+ row read(?:\s+{NUMBER}){{4}}$",
        rf"^codec off: the same(?:\s+{NUMBER}){{4}}$",
        rf"^codec cost: p50 [+-]{NUMBER} ms \([+-]{NUMBER}%\), p95 [+-]{NUMBER} ms ",
        r"^act require_consultation\s+[0-9,]+\s+[0-9,]+\s+\+[0-9,]+ \(\+[0-9.]+%\)$",
        r"^snapshot \(case in precheck\)\s+[0-9,]+\s+[0-9,]+\s+\+[0-9,]+ \(\+[0-9.]+%\)$",
    ],
    "session_scale": [
        rf"^\s+2(?:\s+{NUMBER}){{4}}\s+{NUMBER} ms\s+[0-9]+\s+[0-9]+\s+ok$",
        rf"^\s+2(?:\s+{NUMBER}){{7}}$",  # the seven phases, each timed
        r"^OK$",
    ],
    "obligations_scale": [
        r"^started 15 active cases × 3 obligations in [0-9]+ s \([0-9]+/s\)$",
        r"^every case ran its first task after [0-9]+ s$",
        r"^burst: 5 reminders for 5 due at [0-9:]+; distinct keys 5$",
        rf"^lateness: p50 -?{NUMBER} s, p99 -?{NUMBER} s, max -?{NUMBER} s, mean -?{NUMBER} s$",
        r"^worker RSS after the burst: [0-9]+ MiB \(peak [0-9]+ MiB\)$",
        r"^[0-9]+ simulated days \(1\.0 years\), [1-9][0-9]* occurrences done on time, "
        r"state active, [1-9][0-9]* reminder mails, 0 acts lost",
        r"^history: [0-9]+ runs; events per run max [0-9]+, last [0-9]+; total [0-9]+",
    ],
    "documents": [
        rf"^  答申書 × 2: total {NUMBER} s, per answer median {NUMBER} s",
        r"^    PDF [0-9]+ KiB, [1-9][0-9]* pages; DOCX [0-9]+ KiB$",
        rf"^  kaigiroku: {NUMBER} s; PDF [0-9]+ KiB, [1-9][0-9]* pages; DOCX [0-9]+ KiB$",
        rf"^  kaigiroku_public: {NUMBER} s; PDF [0-9]+ KiB, [1-9][0-9]* pages; DOCX [0-9]+ KiB$",
        rf"^  all documents of the session: {NUMBER} s$",
    ],
    "audit_verify": [
        rf"^filled 2000 records in {NUMBER} s \(sqlite\)$",
        rf"^audit verify: 2000 records in {NUMBER} s \([0-9,]+ records/s\), 0 findings$",
        rf"^after editing record 1001: {NUMBER} s, first finding: audit record 1001: edited: ",
        rf"^append: 200 records one by one, p50 {NUMBER} ms, p95 {NUMBER} ms$",
        r"^OK$",
    ],
    "backup": [
        r"^demo \+ 10 cases: [1-9][0-9]* cases filed in [0-9.]+ s$",
        r"^backup while running: [0-9,]+ files, [0-9.]+ MB compressed in [0-9.]+ s \(MB before ",
        r"^restore: [0-9.]+ s to unpack [0-9,]+ files; server and worker up and ([0-9]+) of \1 ",
        r"^OK$",
    ],
    "precedents": [
        rf"^read model: SQLite \(FTS5 trigram\), 300 answers \([0-9,]+ passages\) indexed in {NUMBER} s$",
        rf"^search: 20 queries, p50 {NUMBER} ms, p95 {NUMBER} ms, max {NUMBER} ms, {NUMBER} hits each$",
        rf"^export: 20 answers \+ 12 public minutes, {NUMBER} MiB in {NUMBER} s \(again {NUMBER} s\); same bytes: True$",
        r"^OK$",
    ],
    "startup": [
        rf"^cold(?:\s+{NUMBER}){{4}}\s+0\s+True$",
        rf"^warm(?:\s+{NUMBER}){{4}}\s+0\s+True$",
        r"^cases after the first run: [1-9][0-9]* .* 1 of 1 asked answer `case show` live$",
        r"^OK$",
    ],
}


@dataclass
class Run:
    """One bench started in smoke mode; a thread notes when it ends (its own wall time)."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)
    took: float | None = None

    def __post_init__(self) -> None:
        self._watch = threading.Thread(target=self._wait, daemon=True)
        self._watch.start()

    def _wait(self) -> None:
        self.proc.wait()
        self.took = time.monotonic() - self.started

    def finish(self) -> tuple[int | None, str]:
        """Wait for the bench (at most TIMEOUT_S from its start; then stop it and return
        None as the code); its exit code and output."""
        self._watch.join(timeout=max(0.0, self.started + TIMEOUT_S - time.monotonic()))
        code = self.proc.poll()
        if code is None:
            stop(self.proc)
        return code, self.log.read_text(encoding="utf-8", errors="replace")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT first, so the bench's own clean-up runs (bench.startup kills the launcher it
    started in a process group of its own), then SIGKILL the bench's group."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def selected(request: pytest.FixtureRequest) -> list[str]:
    """The benches whose test this session runs (so `-k documents` starts one bench)."""
    names = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is sys.modules[__name__] and callspec is not None:
            names.append(str(callspec.params["bench"]))
    return names


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Run]]:
    folder = tmp_path_factory.mktemp("bench-smoke")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOSHIN_")}
    env["PYTHONUNBUFFERED"] = "1"
    started: dict[str, Run] = {}
    try:
        for name in selected(request):
            log = folder / f"{name}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", f"bench.{name}", "--smoke"],
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a group of its own: stop() can end it whole
                )
            started[name] = Run(name, proc, log)
        yield started
    finally:
        for run in started.values():
            stop(run.proc)


@pytest.mark.parametrize("bench", sorted(FIGURES))
def test_bench_runs_in_smoke_mode_and_prints_its_figures(
    bench: str, runs: dict[str, Run], capsys: pytest.CaptureFixture[str]
) -> None:
    run = runs[bench]
    code, output = run.finish()
    tail = output[-4000:]
    if code is None:
        pytest.fail(f"bench.{bench} --smoke still running after {TIMEOUT_S:.0f} s:\n{tail}")
    assert code == 0, f"bench.{bench} --smoke exited {code} after {run.took:.0f} s:\n{tail}"
    lines = output.splitlines()
    missing = [p for p in FIGURES[bench] if not any(re.search(p, line) for line in lines)]
    assert not missing, f"bench.{bench} --smoke did not print {missing}:\n{tail}"
    with capsys.disabled():
        print(f"\n  bench.{bench} --smoke: {run.took:.1f} s", end="")
