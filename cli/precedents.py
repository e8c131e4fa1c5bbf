"""`starter.py precedents ...`: search past answers and public minutes (類似答申)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.common import checked, console, print_json, signed_in
from edge import precedents
from models.calendar.wareki import format_date
from persistence.database import make_engine
from persistence.precedents import PrecedentHit
from settings import Settings

app = typer.Typer(
    help="Precedents (類似答申): search past answers and minutes.", no_args_is_help=True
)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="words to find, e.g. 顔認証 (all must match)")],
    limit: Annotated[int, typer.Option("--limit")] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Past cases whose answer (結論, 理由, 条件, 附帯意見) or public minutes hold every word."""
    settings = Settings()

    def work() -> list[PrecedentHit]:
        precedents.check_query(query, limit)
        user = signed_in(settings)
        engine = make_engine(
            settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        try:
            return precedents.search(engine, user, query, limit=limit)
        finally:
            engine.dispose()

    hits = checked(work)
    if as_json:
        print_json([hit.__dict__ for hit in hits])
        return
    if not hits:
        console.print(f"no precedents for {query!r}", highlight=False)
        return
    table = Table("答申", "日付", "件名", "担当課", "該当箇所")
    for hit in hits:
        table.add_row(
            hit.answer_number or "—", format_date(hit.on), hit.title, hit.department, hit.snippet
        )
    console.print(table)
