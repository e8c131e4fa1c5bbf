"""The baseline workflow of ``bench.transition_latency``, in a module of its own.

The worker's sandbox re-imports the module that defines a workflow; this one imports only
``temporalio``, so validation never runs the bench's own imports (the worker, the
gateways, the tests' helpers) inside the sandbox.
"""

from __future__ import annotations

from temporalio import workflow


@workflow.defn
class BareCounterWorkflow:
    """The baseline: an update that increments a counter and returns it. No activity."""

    def __init__(self) -> None:
        self._count = 0

    @workflow.run
    async def run(self) -> int:
        """Wait forever; the bench never ends it (the dev server goes away with it)."""
        await workflow.wait_condition(lambda: False)
        return self._count

    @workflow.update
    def bump(self) -> int:
        """Add one to the counter and return it. Not idempotent: each call counts."""
        self._count += 1
        return self._count
