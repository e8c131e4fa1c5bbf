"""toshin CLI: `python starter.py --help`. One command group per persona or concern."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from cli import (
    admin,
    audit,
    calendars,
    cases,
    councils,
    documents,
    keys,
    precedents,
    publish,
    scenarios,
    sessions,
    users,
    vendors,
)
from cli.common import console, fail_usage, print_json
from cli.render import lifecycle_table
from models.case.lifecycle import RULES

app = typer.Typer(
    help="toshin: consultations to the privacy council (個人情報保護審議会), case by case.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(cases.app, name="case")
app.add_typer(councils.app, name="council")
app.add_typer(sessions.app, name="session")
app.add_typer(admin.app, name="admin")
app.add_typer(documents.app, name="document")
app.add_typer(scenarios.app, name="scenario")
app.add_typer(scenarios.demo, name="demo")
app.add_typer(calendars.app, name="calendar")
app.add_typer(vendors.app, name="vendor")
app.add_typer(users.app, name="user")
app.add_typer(keys.app, name="keys")
app.add_typer(audit.app, name="audit")
app.add_typer(precedents.app, name="precedents")
app.add_typer(publish.app, name="publish")


@app.command()
def lifecycle(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the lifecycle table: triggers, states, roles and guards."""
    if as_json:
        print_json(
            [
                {
                    "trigger": rule.trigger,
                    "from": list(rule.sources),
                    "to": rule.dest,
                    "roles": list(rule.roles),
                    "guards": [guard.__name__ for guard in rule.guards],
                }
                for rule in RULES
            ]
        )
        return
    console.print(lifecycle_table())


def main() -> None:
    code = 0
    try:
        result = app(standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except NoArgsIsHelpError as exc:
        code = exc.exit_code  # Typer has printed the help already
    except UsageError as exc:
        code = fail_usage(exc)
    except ClickException as exc:
        exc.show()
        code = exc.exit_code
    except typer.Abort:
        code = 1
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the SDK can abort at interpreter exit (PLATFORM.md); exit deterministically


if __name__ == "__main__":
    main()
