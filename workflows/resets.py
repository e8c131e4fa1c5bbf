"""How a workflow meets a reset of itself (the admin console's, or `temporal workflow reset`),
for CaseWorkflow and SessionWorkflow alike. Deterministic workflow code.

A reset fails the workflow task at its point and gives the run a new random seed there: the
SDK calls ``register_random_seed_callback``'s callback at that point of the history, on every
replay. A reset to the run's first task is applied before the workflow's ``__init__``: the run
then has another id than its started event (``original_execution_run_id``) and a first task
longer than three events; the callback may come too, before the run starts, and is the same
reset. (Verified on the dev server: tests/integration/test_resets.py.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

from temporalio import workflow

# Patch (workflow.patched): never remove while histories that predate it may replay.
RESET_TRACE = "reset-leaves-a-trace"
FIRST_TASK_EVENTS = 3  # WorkflowExecutionStarted, WorkflowTaskScheduled, WorkflowTaskStarted

T = TypeVar("T")


class ResetSensor(Generic[T]):
    """Notes ``where()`` (where the workflow stood) at each reset its history holds. Build it
    in the workflow's ``__init__``; call ``running()`` first thing in its run."""

    def __init__(self, where: Callable[[], T]) -> None:
        self._where = where
        self._met: list[T] = []
        self._running = False
        self._loop = asyncio.get_running_loop()  # the workflow's own, deterministic loop
        workflow.register_random_seed_callback(self._reset_here)
        info = workflow.info()
        if (
            info.run_id != info.original_execution_run_id
            and info.get_current_history_length() > FIRST_TASK_EVENTS
        ):
            self._reset_here(0)

    def running(self) -> None:
        self._running = True

    def _reset_here(self, _seed: int) -> None:
        """Called while the SDK applies the activation (no workflow calls here): the no-op
        scheduled makes the SDK check the wait conditions, so ``met`` returns in this
        activation."""
        if self._met and not self._running:
            return  # the first-task reset, seen twice
        self._met.append(self._where())
        self._loop.call_soon(lambda: None)

    async def met(self) -> list[T]:
        """The resets met since last asked, once there is one; empty for a history recorded
        before RESET_TRACE (its resets go unrecorded, as they did)."""
        await workflow.wait_condition(lambda: bool(self._met))
        met, self._met = self._met, []
        return met if workflow.patched(RESET_TRACE) else []
