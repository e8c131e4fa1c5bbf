"""Waiting in tests: poll until a positive signal, or fail saying what did not happen.

A test never sleeps to prove that nothing happened: it waits for something that must happen
after the thing it wants absent (a later mail, a drained queue, a changed state), then
asserts the absence.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def until(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    timeout: float,
    what: str,
    every: float = 0.05,
) -> T:
    """Call ``probe`` until ``done`` holds for what it returns; return that value. After
    ``timeout`` seconds raise AssertionError naming ``what`` and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what} (last seen: {value!r})")
        await asyncio.sleep(every)


async def until_true(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """``until`` for a plain, synchronous condition (e.g. on what a test SMTP server got)."""

    async def probe() -> bool:
        return check()

    await until(probe, bool, timeout=timeout, what=what, every=0.1)
