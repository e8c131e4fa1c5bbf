"""Every committed workflow history still replays against the current workflow code.

A change to the lifecycle table or to the order of a workflow's commands makes an old
history fail here with a NondeterminismError: gate such changes with ``workflow.patched()``.
Histories are written by ``python -m scripts.record_histories``; keep old ones committed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.keys import TEST_CONVERTER
from workflows import ALL_WORKFLOWS, workflow_runner

HISTORIES = Path(__file__).resolve().parent / "histories"
FILES = sorted(HISTORIES.rglob("*.json"))  # v1/ = recorded before patches; keep them


def test_histories_are_committed() -> None:
    assert FILES, f"no histories in {HISTORIES}: run `python -m scripts.record_histories`"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(HISTORIES)) for p in FILES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    replayer = Replayer(
        workflows=ALL_WORKFLOWS,
        workflow_runner=workflow_runner(),
        data_converter=TEST_CONVERTER,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure!r}"
