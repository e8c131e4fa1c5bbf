"""The worker: settings → client → Worker(ALL_WORKFLOWS, build_activities(deps))."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities import ActivityDeps, SmtpConfig, build_activities
from edge.archive import payload_keyring
from edge.audit import people_book
from edge.connect import connect
from edge.loaders import load_municipality
from models.municipality import MunicipalityConfig
from persistence.database import make_engine
from persistence.people import adopt_plain_names
from settings import Settings
from workflows import ALL_WORKFLOWS, workflow_runner


def build_worker(
    client: Client,
    settings: Settings,
    executor: ThreadPoolExecutor,
    *,
    engine: Engine | None = None,
    workflows: Sequence[type] = ALL_WORKFLOWS,
    max_cached_workflows: int = 1000,
    municipality: MunicipalityConfig | None = None,
) -> Worker:
    """A worker for the case workflows (plus ``workflows`` given by benchmarks)."""
    engine = engine or make_engine(
        settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    municipality = municipality or load_municipality(settings.municipality_file)
    people = people_book(settings)
    adopted = adopt_plain_names(engine, people)  # a database from before the people table
    if adopted.users or adopted.transitions or adopted.left:
        logging.getLogger(__name__).info(
            "people: %d accounts and %d transition rows moved to sealed refs, %d rows left "
            "(their MAC does not verify: see audit verify)",
            adopted.users, adopted.transitions, adopted.left,
        )  # fmt: skip
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=list(workflows),
        activities=build_activities(
            ActivityDeps(
                engine=engine,
                client=client,
                smtp=SmtpConfig.from_settings(settings),
                directory=municipality,
                date_style=municipality.date_style,
                documents_dir=settings.documents_path,
                templates_dir=settings.templates_dir,
                style=municipality.document_style(),
                sealer=people.sealer,
                people=people,
                file_keyring=people.keyring if settings.encrypt_documents else None,
                keyring=payload_keyring(client, settings),
            )
        ),
        activity_executor=executor,
        workflow_runner=workflow_runner(),
        max_cached_workflows=max_cached_workflows,
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=16) as executor:
        worker = build_worker(client, settings, executor)
        async with worker:
            logging.info("worker polling task queue %s", settings.task_queue)
            await stop.wait()
    logging.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
