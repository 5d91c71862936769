"""The ``kopdes`` command and its groups; commands live in the modules beside this one."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from shared.audit import Actor

app = typer.Typer(
    name="kopdes",
    help="Kopdes: villages, cooperatives and coverage of the Koperasi Merah Putih programme.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
import_app = typer.Typer(
    help="Import the official village list or a registry snapshot.", no_args_is_help=True
)
coverage_app = typer.Typer(help="Coverage figures.", no_args_is_help=True)
demo_app = typer.Typer(help="Load reference and demonstration data sets.", no_args_is_help=True)
apikey_app = typer.Typer(
    help="API keys for partners, operations and administrators.", no_args_is_help=True
)
schema_app = typer.Typer(help="The published GraphQL schema.", no_args_is_help=True)
jobs_app = typer.Typer(help="Import and coverage jobs.", no_args_is_help=True)
editions_app = typer.Typer(
    help="Editions of the official village list: make an earlier one current again.",
    no_args_is_help=True,
)

app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(coverage_app, name="coverage")
app.add_typer(demo_app, name="demo")
app.add_typer(apikey_app, name="apikey")
app.add_typer(schema_app, name="schema")
app.add_typer(jobs_app, name="jobs")
app.add_typer(editions_app, name="editions")


# Options every import command takes.
AllowMassRetirementOption = Annotated[
    bool,
    typer.Option(
        "--allow-mass-retirement",
        help="Import even if the edition retires more than KOPDES_MASS_RETIREMENT_PERCENT of the"
        " active villages or is older than the current one",
    ),
]
WaitOption = Annotated[
    bool, typer.Option("--wait/--no-wait", help="Wait for the outcome (runs it here if embedded)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print only the job report as JSON")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Check and compare, report the changes; write nothing")
]


def cli_actor() -> Actor:
    """Who runs a command, for the audit log: ``cli:<login name>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        user = "unknown"
    return Actor(name=f"cli:{user}")
