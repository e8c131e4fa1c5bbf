"""`starter.py publish ...`: the public record of a fiscal year for the municipality's
website (edge/publication.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import checked, console, print_json, signed_in
from edge import publication
from persistence.database import make_engine
from settings import Settings

app = typer.Typer(help="Publication: the public record of a fiscal year.", no_args_is_help=True)


@app.command()
def export(
    fiscal_year: Annotated[int, typer.Option("--fiscal-year", help="年度, e.g. 2025")],
    out: Annotated[Path, typer.Option("--out", help="an empty or new folder")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Write the year's 答申書 (PDF as generated), public minutes (redacted version only) and
    index.csv into OUT; two runs give the same bytes."""
    settings = Settings()

    def work() -> publication.ExportReport:
        publication.check_fiscal_year(fiscal_year)
        publication.may_publish(signed_in(settings))
        engine = make_engine(
            settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        try:
            return publication.export_year(
                engine, settings.documents_path, fiscal_year, out, settings
            )
        finally:
            engine.dispose()

    started = time.perf_counter()
    report = checked(work)
    seconds = time.perf_counter() - started
    if as_json:
        print_json(
            {"out": str(report.out), "answers": report.answers, "minutes": report.minutes,
             "missing": report.missing, "seconds": round(seconds, 3)}
        )  # fmt: skip
        return
    console.print(
        f"{fiscal_year}年度: {report.answers} answers, {report.minutes} public minutes → "
        f"{report.out} ({seconds:.2f}s)",
        highlight=False,
    )
    for line in report.missing:
        console.print(f"  missing: {line}", highlight=False)
