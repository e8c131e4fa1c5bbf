"""What the payload codec (AES-256-GCM, edge/codec.py) costs: the latency of one case
transition with the codec on and off in the same run, and the bytes it adds per payload.

    .venv/bin/python -m bench.codec [--n 200] [--warmup 20] [--pg] [--smoke]

One dev server, two workers on two task queues: one whose client encrypts every payload (the
keyring converter every toshin process uses), one with the same pydantic converter and no
codec. Samples alternate between them (act(submit) then a read of the ``cases`` row, as in
bench.transition_latency), so drift on the machine hits both the same way. Then the sizes of a
typical act's input and a case snapshot, as the converter writes them (plaintext) and as the
codec seals them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.converter import DefaultFailureConverter

from bench.transition_latency import (
    bench_bed,
    create_cases,
    exit_with,
    sampling_args,
    summarize,
    time_transition,
)
from edge.cases import CaseService
from models.policy import CasePolicy
from settings import Settings
from tests.factories import act
from tests.integration.conftest import municipality
from tests.keys import TEST_CONVERTER
from worker import build_worker

PLAIN = dataclasses.replace(
    TEST_CONVERTER, payload_codec=None, failure_converter_class=DefaultFailureConverter
)
TYPICAL_ACT = act(
    "require_consultation",
    "secretariat",
    {"reason": "外部の事業者とオンラインで結合し、住民の氏名・生年月日・電話番号を扱うため"},
)


async def payload_sizes(value: BaseModel) -> tuple[int, int]:
    """(plaintext, sealed) bytes of one payload holding ``value``."""
    [plain] = TEST_CONVERTER.payload_converter.to_payloads([value])
    assert TEST_CONVERTER.payload_codec is not None
    [sealed] = await TEST_CONVERTER.payload_codec.encode([plain])
    return plain.ByteSize(), sealed.ByteSize()


def size_line(label: str, plain: int, sealed: int) -> str:
    extra = sealed - plain
    return f"{label:34}{plain:>10,}{sealed:>10,}{extra:>+10,} ({extra / plain:+.1%})"


async def run(n: int, warmup: int, use_pg: bool) -> None:
    async with bench_bed(use_pg) as bed:
        data_dir, url, env, engine = bed.data_dir, bed.url, bed.env, bed.engine
        town = municipality(CasePolicy())
        gateways: dict[str, CaseService] = {}
        async with AsyncExitStack() as stack:
            executor = stack.enter_context(ThreadPoolExecutor(max_workers=16))
            for name, converter in (("on", TEST_CONVERTER), ("off", PLAIN)):
                client = Client(
                    env.client.service_client,
                    namespace=env.client.namespace,
                    data_converter=converter,
                )
                settings = Settings(
                    task_queue=f"bench-codec-{name}-{uuid.uuid4().hex[:8]}",
                    data_dir=data_dir,
                    database_url=url,
                )
                worker = build_worker(client, settings, executor, engine=engine)
                await stack.enter_async_context(worker)
                gateways[name] = CaseService(client, settings, town)
            print(f"creating {n + warmup} cases on each worker…")
            cases = {k: await create_cases(g, n + warmup) for k, g in gateways.items()}
            samples: dict[str, list[float]] = {"on": [], "off": []}
            for i, (on, off) in enumerate(zip(cases["on"], cases["off"], strict=True)):
                a = await time_transition(gateways["on"], engine, on)
                b = await time_transition(gateways["off"], engine, off)
                if i >= warmup:
                    samples["on"].append(a)
                    samples["off"].append(b)
            await gateways["on"].act(cases["on"][0], TYPICAL_ACT)
            snapshot = await gateways["on"].snapshot(cases["on"][0])
        report(samples, "PostgreSQL" if use_pg else "SQLite (WAL)")
        print(f"\npayload sizes (bytes){'plaintext':>23}{'sealed':>10}{'overhead':>10}")
        print(size_line("act require_consultation", *await payload_sizes(TYPICAL_ACT)))
        print(size_line("snapshot (case in precheck)", *await payload_sizes(snapshot)))


def report(samples: dict[str, list[float]], read_model: str) -> None:
    on, off = summarize(samples["on"]), summarize(samples["off"])
    count = len(samples["on"])
    print(f"\npayload codec; read model: {read_model}; {count} samples each (ms)")
    print(f"{'':34}{'p50':>8}{'p95':>8}{'p99':>8}{'mean':>8}")
    for label, s in (("codec on: act(submit) + row read", on), ("codec off: the same", off)):
        print(f"{label:34}{s['p50']:8.2f}{s['p95']:8.2f}{s['p99']:8.2f}{s['mean']:8.2f}")
    print(
        f"codec cost: p50 {on['p50'] - off['p50']:+.2f} ms ({on['p50'] / off['p50'] - 1:+.1%}), "
        f"p95 {on['p95'] - off['p95']:+.2f} ms ({on['p95'] / off['p95'] - 1:+.1%})"
    )


def main() -> int:
    args = sampling_args(__doc__.split("\n\n")[0], "transitions per setting")
    asyncio.run(run(args.n, args.warmup, args.pg))
    return 0


if __name__ == "__main__":
    exit_with(main)
